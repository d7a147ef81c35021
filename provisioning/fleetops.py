"""A fleet grows and shrinks: `hemassist provision fleet add DEVICE` and `… fleet remove DEVICE`
change an existing fleet folder in place (same CA, same publishing key, the same files).

Each file is replaced atomically; the device's own folder is written beside its final place and
renamed, so an interrupted `add` leaves the fleet as it was.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from device.bounded import InputError, read_toml
from provisioning.device import revoke
from provisioning.fleet import (
    BROKER_CONFIG_DIR,
    FLEET_SETTINGS,
    FleetSettings,
    read_inventory,
    write_broker_configs,
    write_device,
    write_fleet,
    write_team_file,
)
from provisioning.identity import (
    LANGUAGES,
    DeviceIdentity,
    ProvisionError,
    check_id,
    new_password,
    write_atomic,
)
from provisioning.mosquitto import device_acl, password_line
from provisioning.pki import load


@dataclass(frozen=True)
class Fleet:
    folder: Path
    settings: FleetSettings
    teams: dict[str, str]  # device id → team, from dashboard/fleet.toml


def open_fleet(folder: Path) -> Fleet:
    """The fleet folder `provision fleet` wrote; ProvisionError naming what is missing."""
    if not folder.is_dir():
        raise ProvisionError(f"--fleet: {folder} is missing (the folder `provision fleet` wrote)")
    for needed in (FLEET_SETTINGS, "dashboard/fleet.toml", "broker/passwd", "broker/acl"):
        if not (folder / needed).is_file():
            raise ProvisionError(
                f"{folder}/{needed} is missing: is {folder} a fleet folder written by "
                "`hemassist provision fleet` (this version)?"
            )
    try:
        meta = read_toml(folder / FLEET_SETTINGS)
        listing = read_toml(folder / "dashboard" / "fleet.toml")
    except (OSError, tomllib.TOMLDecodeError, InputError) as exc:
        raise ProvisionError(f"{folder}: can't read the fleet's files ({exc})") from None
    devices = listing.get("devices")
    org, url = meta.get("org"), meta.get("broker_url")
    certs, days = meta.get("client_certs"), meta.get("cert_days")
    if not (
        isinstance(org, str)
        and isinstance(url, str)
        and isinstance(certs, bool)
        and isinstance(days, int)
        and isinstance(devices, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in devices.items())
    ):
        raise ProvisionError(f"{folder}: {FLEET_SETTINGS} or dashboard/fleet.toml is damaged")
    check_id("organisation", org)
    return Fleet(folder, FleetSettings(org, url, certs, days), dict(devices))


def add_device(
    folder: Path,
    device_id: str,
    team: str,
    language: str = "sv",
    worker: str = "",
    button: bool = False,
) -> Path:
    """One more device with the fleet's CA and publishing key; returns its folder."""
    fleet = open_fleet(folder)
    check_id("device id", device_id)
    if device_id in fleet.teams or (folder / "devices" / device_id).exists():
        raise ProvisionError(f"{device_id} is in the fleet already: nothing changed")
    if language not in LANGUAGES:
        raise ProvisionError(f"language {language!r} must be one of {', '.join(LANGUAGES)}")
    meta = fleet.settings
    identity = DeviceIdentity(
        device_id, meta.org, team, meta.broker_url, language, worker, password=new_password()
    )
    try:
        ca = load(folder / "ca" / "ca.pem", folder / "ca" / "ca.key")
        publisher = (folder / "publisher" / "publisher.pub").read_text(encoding="ascii").strip()
    except (OSError, ValueError) as exc:
        raise ProvisionError(
            f"{folder}: can't read the fleet's CA or publishing key ({exc})"
        ) from None
    target = folder / "devices" / device_id
    staging = Path(tempfile.mkdtemp(prefix=f".{device_id}-", dir=folder / "devices"))
    try:
        write_device(identity, staging, ca, meta, publisher, button)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    passwd = _without_user(_read(folder / "broker" / "passwd"), device_id)
    passwd += password_line(device_id, identity.password) + "\n"
    acl = _acl_without(_read(folder / "broker" / "acl"), device_id)
    acl = device_acl(device_id, meta.org, device_id) + acl  # before IT's own accounts
    write_atomic(folder / "broker" / "passwd", passwd.encode(), private=True)
    write_atomic(folder / "broker" / "acl", acl.encode())
    teams = {**fleet.teams, device_id: team}
    write_team_file(folder, meta.org, teams)
    write_broker_configs(folder / "broker", len(teams), meta.client_certs, meta.broker_url)
    return target


@dataclass(frozen=True)
class Removed:
    device_id: str
    crl: Path | None  # the new revocation list, when the device had a client certificate


def remove_device(folder: Path, device_id: str) -> Removed:
    """Retire a device: its certificate revoked (client certificates), its passwd line and ACL
    block gone, out of dashboard/fleet.toml (so it gets no further care data), its folder with
    its keys deleted."""
    fleet = open_fleet(folder)
    check_id("device id", device_id)
    own = folder / "devices" / device_id
    passwd, acl = _read(folder / "broker" / "passwd"), _read(folder / "broker" / "acl")
    if device_id not in fleet.teams and not own.exists() and f"\n{device_id}:" not in f"\n{passwd}":
        raise ProvisionError(f"{device_id} is not in the fleet {folder}: nothing changed")
    crl = None
    if (own / "client.pem").is_file() and (folder / "ca" / "ca.key").is_file():
        crl = revoke(folder / "ca", own / "client.pem")  # first: the folder goes next
    write_atomic(folder / "broker" / "passwd", _without_user(passwd, device_id).encode(), True)
    write_atomic(folder / "broker" / "acl", _acl_without(acl, device_id).encode())
    teams = {d: t for d, t in fleet.teams.items() if d != device_id}
    write_team_file(folder, fleet.settings.org, teams)
    meta = fleet.settings
    write_broker_configs(folder / "broker", len(teams), meta.client_certs, meta.broker_url)
    shutil.rmtree(own, ignore_errors=True)
    return Removed(device_id, crl)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvisionError(f"can't read {path} ({exc})") from None


def _without_user(passwd: str, user: str) -> str:
    return "".join(
        line for line in passwd.splitlines(keepends=True) if not line.startswith(f"{user}:")
    )


def _acl_without(acl: str, user: str) -> str:
    """The ACL without ``user``'s block (a block runs from its `user` line to the next)."""
    blocks = re.split(r"(?m)^(?=user )", acl)
    return "".join(b for b in blocks if not re.match(rf"user {re.escape(user)}\n", b))


def run_fleet(args: argparse.Namespace) -> int:
    """`hemassist provision fleet INVENTORY.csv | add DEVICE | remove DEVICE`."""
    words = args.words
    if words[0] in ("add", "remove") and len(words) == 2:
        return _fleet_change(args, words[0], words[1])
    if len(words) != 1:
        raise ProvisionError(
            "fleet takes one inventory CSV, or `add DEVICE` / `remove DEVICE` with --fleet DIR"
        )
    missing = [
        f"--{n.replace('_', '-')}" for n in ("org", "broker_url", "out") if not vars(args)[n]
    ]
    if missing:
        raise ProvisionError(f"a new fleet needs {', '.join(missing)}")
    inventory = read_inventory(Path(words[0]))
    write_fleet(
        inventory.rows,
        args.org,
        args.broker_url,
        args.out,
        client_certs=args.client_certs,
        cert_days=args.cert_days,
        broker_host=args.broker_host,
        publisher_key=args.publisher_key,
    )
    if inventory.separator != ",":
        print(f"(the inventory is separated by {inventory.separator_name}: read as such)")
    print(f"{len(inventory.rows)} devices written to {args.out}:")
    certs = ", client.pem, client.key" if args.client_certs else ""
    print(
        "  devices/<id>/   copy to each device's /etc/hemassist "
        f"(site.toml, secrets.toml, ca.pem, care.key{certs})"
    )
    print("  broker/         for Mosquitto: hemassist.conf (Debian's conf.d) or standalone.conf,")
    print("                  passwd, acl, ca.pem, server.pem, server.key (docs/broker.md)")
    print("  dashboard/      the dashboard's read-only broker account and fleet.toml")
    print("  publisher/      the publishing key and account for care data: keep on IT's machine")
    print(
        "  ca/             the fleet's CA: keep ca.key offline"
        + ("; crl.pem goes to the broker (crlfile)" if args.client_certs else "")
    )
    return 0


def _fleet_change(args: argparse.Namespace, action: str, device_id: str) -> int:
    if args.fleet is None:
        raise ProvisionError(
            f"fleet {action} needs --fleet DIR (the folder `provision fleet` wrote)"
        )
    install = "install broker/passwd and broker/acl in /etc/mosquitto/hemassist/"
    if action == "add":
        if not args.team:
            raise ProvisionError("fleet add needs --team")
        folder = add_device(
            args.fleet, device_id, args.team, args.language, args.worker, args.button
        )
        print(f"added {device_id} to {args.fleet}: copy {folder}/ to its /etc/hemassist;")
        print(f"  {install}, then `systemctl reload mosquitto` (docs/broker.md)")
        return 0
    removed = remove_device(args.fleet, device_id)
    print(f"removed {device_id} from {args.fleet}: no further care data is published to it;")
    if removed.crl is not None:
        print(
            f"  its certificate is revoked: install {removed.crl} as {BROKER_CONFIG_DIR}/crl.pem;"
        )
    print(f"  {install}, then `systemctl restart mosquitto` (closes its open connection).")
    print("  On the device, if you still have it: `hemassist provision wipe --yes`.")
    return 0
