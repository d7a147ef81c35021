"""Provisioning many devices from an inventory CSV: one folder of files per device, the broker's
password file and ACL, and optionally a CA with a client certificate per device.

Everything is checked before anything is written, and the output folder appears whole or not
at all (written beside it, then renamed).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from provisioning.identity import (
    LANGUAGES,
    DeviceIdentity,
    ProvisionError,
    check_broker_url,
    check_id,
    new_password,
    toml_bytes,
    write_atomic,
)
from provisioning.mosquitto import (
    BrokerLayout,
    broker_config,
    device_acl,
    password_line,
    reader_acl,
)
from provisioning.pki import Issued, issue, make_ca, revocation_list

REQUIRED_COLUMNS = ("device_id", "team")
DASHBOARD_USER = "dashboard"
BROKER_CONFIG_DIR = Path("/etc/mosquitto/hemassist")  # where IT installs the broker/ folder
SITE_HEADER = "# hemassist site settings, written by `hemassist provision`."
SECRETS_HEADER = "# Broker credentials for this device. Keep this file at mode 0600."


@dataclass(frozen=True)
class InventoryRow:
    line: int
    device_id: str
    team: str
    language: str = "sv"
    worker: str = ""


def read_inventory(path: Path) -> list[InventoryRow]:
    """Rows of the inventory; ProvisionError listing every bad row (by line) otherwise."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvisionError(f"{path}: can't read the inventory ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ProvisionError(
            f"{path}: the inventory has no column {', '.join(missing)} "
            f"(columns: device_id, team, language, worker)"
        )
    rows, problems, seen = [], [], set()
    for line, raw in enumerate(reader, start=2):
        values = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        try:
            row = InventoryRow(
                line=line,
                device_id=check_id("device id", values.get("device_id", "")),
                team=check_id("team", values.get("team", "")),
                language=values.get("language") or "sv",
                worker=values.get("worker", ""),
            )
            if row.language not in LANGUAGES:
                raise ProvisionError(f"language {row.language!r} must be one of sv, en")
            if row.device_id in seen:
                raise ProvisionError(f"device id {row.device_id!r} appears twice")
            seen.add(row.device_id)
            rows.append(row)
        except ProvisionError as exc:
            problems.append(f"line {line}: {exc}")
    if not rows and not problems:
        problems.append("the inventory lists no devices")
    if problems:
        raise ProvisionError(
            f"{path}: nothing written.\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return rows


def write_fleet(
    rows: list[InventoryRow],
    org: str,
    broker_url: str,
    out_dir: Path,
    *,
    client_certs: bool = False,
    cert_days: int = 825,
    broker_host: str | None = None,
) -> dict[str, str]:
    """Write the fleet's files into ``out_dir`` (which must not exist); returns the passwords
    of the dashboard account by user (device passwords live only in their secrets files)."""
    check_id("organisation", org)
    check_broker_url(broker_url)
    if out_dir.exists():
        raise ProvisionError(f"{out_dir} already exists: choose a new folder (nothing written)")
    identities = [
        DeviceIdentity(
            r.device_id, org, r.team, broker_url, r.language, r.worker, password=new_password()
        )
        for r in rows
    ]
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        ca = make_ca(f"hemassist {org} devices CA") if client_certs else None
        if ca is not None:
            ca.write(staging / "ca" / "ca.pem", staging / "ca" / "ca.key")
            write_atomic(staging / "ca" / "crl.pem", revocation_list(ca, []))
            if broker_host:
                issue(ca, broker_host, server_names=(broker_host,), days=cert_days).write(
                    staging / "broker" / "server.pem", staging / "broker" / "server.key"
                )
        for identity in identities:
            _write_device(identity, staging / "devices" / identity.device_id, ca, cert_days)
        dashboard_password = new_password()
        passwd = "".join(password_line(i.device_id, i.password) + "\n" for i in identities)
        passwd += password_line(DASHBOARD_USER, dashboard_password) + "\n"
        acl = "".join(device_acl(i.device_id, org, i.device_id) for i in identities)
        acl += reader_acl(DASHBOARD_USER, org)
        write_atomic(staging / "broker" / "passwd", passwd.encode(), private=True)
        write_atomic(staging / "broker" / "acl", acl.encode())
        layout = BrokerLayout(
            config_dir=BROKER_CONFIG_DIR,
            persistence_dir=Path("/var/lib/mosquitto"),
            devices=len(identities),
            client_certs=ca is not None,
            crl_file=BROKER_CONFIG_DIR / "crl.pem" if ca is not None else None,
        )
        write_atomic(staging / "broker" / "hemassist.conf", broker_config(layout).encode())
        # The dashboard takes each device's team from here, never from what the device sends.
        write_atomic(
            staging / "dashboard" / "fleet.toml",
            toml_bytes(
                {"org": org, "devices": {i.device_id: i.team for i in identities}},
                "# The fleet as provisioned: device id = team. dashboard.fleet_file names it.",
            ),
        )
        if ca is not None:
            shutil.copy(staging / "ca" / "ca.pem", staging / "broker" / "ca.pem")
        write_atomic(
            staging / "dashboard" / "secrets.toml",
            toml_bytes(
                {"username": DASHBOARD_USER, "password": dashboard_password},
                "# The dashboard's read-only broker account.",
            ),
            private=True,
        )
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {DASHBOARD_USER: dashboard_password}


def _write_device(identity: DeviceIdentity, folder: Path, ca: Issued | None, days: int) -> None:
    """What IT copies to the device's /etc/hemassist."""
    config_dir = Path("/etc/hemassist")
    settings = identity.site_settings(
        config_dir, None, with_client_cert=ca is not None, with_ca=ca is not None
    )
    write_atomic(folder / "site.toml", toml_bytes(settings, SITE_HEADER))
    write_atomic(
        folder / "secrets.toml", toml_bytes(identity.secrets(), SECRETS_HEADER), private=True
    )
    if ca is not None:
        issue(ca, identity.device_id, client=True, days=days).write(
            folder / "client.pem", folder / "client.key"
        )
        shutil.copy(folder.parent.parent / "ca" / "ca.pem", folder / "ca.pem")
