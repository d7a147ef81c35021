"""Provisioning many devices from an inventory CSV: one folder of files per device, the broker's
password file, ACL, configuration and certificate from the fleet's own CA, and optionally a
client certificate per device and for IT's accounts.

Everything is checked before anything is written, and the output folder appears whole or not
at all (written beside it, then renamed).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from device.care import sealed
from provisioning.identity import (
    DeviceIdentity,
    ProvisionError,
    check_broker_url,
    check_id,
    new_password,
    toml_bytes,
    write_atomic,
)
from provisioning.inventory import Inventory, InventoryRow, read_inventory
from provisioning.mosquitto import (
    BrokerLayout,
    broker_config,
    device_acl,
    password_line,
    publisher_acl,
    reader_acl,
)
from provisioning.pki import Issued, issue, make_ca, revocation_list

__all__ = ["Inventory", "InventoryRow", "read_inventory", "write_fleet"]

DASHBOARD_USER = "dashboard"
PUBLISHER_USER = "care-publisher"  # IT's account for `provision data publish`
BROKER_CONFIG_DIR = Path("/etc/mosquitto/hemassist")  # where IT installs the broker/ folder
DEVICE_CONFIG_DIR = Path("/etc/hemassist")  # where IT copies a device's folder
SITE_HEADER = "# hemassist site settings, written by `hemassist provision`."
SECRETS_HEADER = "# Broker credentials for this device. Keep this file at mode 0600."
FLEET_SETTINGS = "fleet.toml"  # how the fleet was made: `fleet add` makes devices the same way
DROPIN, STANDALONE = "hemassist.conf", "standalone.conf"  # broker/: Debian's conf.d, or alone


def write_fleet(
    rows: list[InventoryRow],
    org: str,
    broker_url: str,
    out_dir: Path,
    *,
    client_certs: bool = False,
    cert_days: int = 825,
    broker_host: str | None = None,
    publisher_key: Path | None = None,
) -> dict[str, str]:
    """Write the fleet's files into ``out_dir`` (which must not exist); returns the passwords
    of the dashboard account by user (device passwords live only in their secrets files).

    Every file a configuration names is written: the fleet's CA, the broker's certificate for
    its host (``broker_host``, by default the broker URL's), and with ``client_certs`` a client
    certificate for every device, the dashboard's collector and the publisher.

    ``publisher_key``: the municipality's publishing key of an earlier fleet, so that devices of
    both trust the same key (by default a new one is made in ``publisher/``)."""
    check_id("organisation", org)
    check_broker_url(broker_url)
    host = broker_host or urlsplit(broker_url).hostname or ""
    try:
        signer = (
            sealed.load_publisher_key(publisher_key)
            if publisher_key is not None
            else sealed.Ed25519PrivateKey.generate()
        )
    except (OSError, ValueError) as exc:
        raise ProvisionError(f"--publisher-key: {exc}") from None
    trusted = sealed.public_text(signer)
    if out_dir.exists():
        raise ProvisionError(f"{out_dir} already exists: choose a new folder (nothing written)")
    identities = [
        DeviceIdentity(
            r.device_id, org, r.team, broker_url, r.language, r.worker, password=new_password()
        )
        for r in rows
    ]
    buttons = {r.device_id for r in rows if r.button}
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        ca = make_ca(f"hemassist {org} CA")
        ca.write(staging / "ca" / "ca.pem", staging / "ca" / "ca.key")
        if client_certs:
            write_atomic(staging / "ca" / "crl.pem", revocation_list(ca, []))
        issue(ca, host, server_names=(host,), days=cert_days).write(
            staging / "broker" / "server.pem", staging / "broker" / "server.key"
        )
        shutil.copy(staging / "ca" / "ca.pem", staging / "broker" / "ca.pem")
        meta = FleetSettings(org, broker_url, client_certs, cert_days)
        write_atomic(staging / FLEET_SETTINGS, meta.toml())
        for identity in identities:
            folder = staging / "devices" / identity.device_id
            write_device(identity, folder, ca, meta, trusted, identity.device_id in buttons)
        dashboard_password, publisher_password = new_password(), new_password()
        _write_publisher(staging / "publisher", signer, trusted, publisher_password)
        _account_files(staging / "dashboard", DASHBOARD_USER, ca, client_certs, cert_days)
        _account_files(staging / "publisher", PUBLISHER_USER, ca, client_certs, cert_days)
        passwd = "".join(password_line(i.device_id, i.password) + "\n" for i in identities)
        passwd += password_line(DASHBOARD_USER, dashboard_password) + "\n"
        passwd += password_line(PUBLISHER_USER, publisher_password) + "\n"
        acl = "".join(device_acl(i.device_id, org, i.device_id) for i in identities)
        acl += reader_acl(DASHBOARD_USER, org) + publisher_acl(PUBLISHER_USER, org)
        write_atomic(staging / "broker" / "passwd", passwd.encode(), private=True)
        write_atomic(staging / "broker" / "acl", acl.encode())
        write_broker_configs(staging / "broker", len(identities), client_certs, broker_url)
        write_team_file(staging, org, {i.device_id: i.team for i in identities})
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


@dataclass(frozen=True)
class FleetSettings:
    """How a fleet was made (``fleet.toml`` at its top): `fleet add` makes a device the same."""

    org: str
    broker_url: str
    client_certs: bool
    cert_days: int

    def toml(self) -> bytes:
        return toml_bytes(
            {
                "org": self.org,
                "broker_url": self.broker_url,
                "client_certs": self.client_certs,
                "cert_days": self.cert_days,
            },
            "# How this fleet was made; `hemassist provision fleet add` reads it.",
        )


def write_team_file(folder: Path, org: str, devices: dict[str, str]) -> None:
    """``dashboard/fleet.toml``: the dashboard takes each device's team from here, never from
    what the device sends, and `provision data publish` publishes only to the devices in it."""
    write_atomic(
        folder / "dashboard" / "fleet.toml",
        toml_bytes(
            {"org": org, "devices": dict(sorted(devices.items()))},
            "# The fleet as provisioned: device id = team. dashboard.fleet_file names it.",
        ),
    )


def write_broker_configs(folder: Path, devices: int, client_certs: bool, url: str) -> None:
    """``hemassist.conf`` for Debian's conf.d and ``standalone.conf``, a whole configuration,
    listening on the port of the devices' broker URL."""
    for name, dropin in ((DROPIN, True), (STANDALONE, False)):
        layout = BrokerLayout(
            config_dir=BROKER_CONFIG_DIR,
            persistence_dir=Path("/var/lib/mosquitto"),
            port=urlsplit(url).port or 8883,
            devices=max(1, devices),
            client_certs=client_certs,
            crl_file=BROKER_CONFIG_DIR / "crl.pem" if client_certs else None,
            dropin=dropin,
        )
        write_atomic(folder / name, broker_config(layout).encode())


def _account_files(folder: Path, user: str, ca: Issued, client_certs: bool, days: int) -> None:
    """The broker's CA for an account of IT's (dashboard, publisher), and its certificate."""
    write_atomic(folder / "ca.pem", ca.cert_pem())
    if client_certs:
        issue(ca, user, client=True, days=days).write(folder / "client.pem", folder / "client.key")


def _write_publisher(
    folder: Path, signer: sealed.Ed25519PrivateKey, public: str, password: str
) -> None:
    """IT's publishing key (keep it on IT's workstation only) and broker account."""
    sealed.write_private(folder / "publisher.key", signer)
    write_atomic(folder / "publisher.pub", (public + "\n").encode())
    write_atomic(
        folder / "secrets.toml",
        toml_bytes(
            {"username": PUBLISHER_USER, "password": password},
            "# The care-data publishing account (`hemassist provision data publish`).",
        ),
        private=True,
    )


def write_device(
    identity: DeviceIdentity,
    folder: Path,
    ca: Issued,
    fleet: FleetSettings,
    publisher: str,
    button: bool,
) -> None:
    """What IT copies to the device's /etc/hemassist."""
    settings = identity.site_settings(
        DEVICE_CONFIG_DIR, None, with_client_cert=fleet.client_certs, with_ca=True
    )
    if button:  # a service has no terminal: the push button is the trigger
        settings["trigger"] = {"mode": "gpio"}
    # The device's own key pair for care data: bundles are sealed to care.pub, which stays in
    # the fleet folder for `provision data publish`; care.key goes to the device only.
    device_key = sealed.X25519PrivateKey.generate()
    sealed.write_private(folder / "care.key", device_key)
    write_atomic(folder / "care.pub", (sealed.public_text(device_key) + "\n").encode())
    key_file = str(DEVICE_CONFIG_DIR / "care.key")
    settings["delivery"] = {"publisher_key": publisher, "key_file": key_file}
    write_atomic(folder / "site.toml", toml_bytes(settings, SITE_HEADER))
    write_atomic(
        folder / "secrets.toml", toml_bytes(identity.secrets(), SECRETS_HEADER), private=True
    )
    write_atomic(folder / "ca.pem", ca.cert_pem())
    if fleet.client_certs:
        issue(ca, identity.device_id, client=True, days=fleet.cert_days).write(
            folder / "client.pem", folder / "client.key"
        )
