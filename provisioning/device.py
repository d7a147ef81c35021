"""One device: `init` writes its identity, settings and secrets and creates the data key;
`wipe` crypto-erases it; `revoke` puts a device's certificate on the CA's revocation list."""

from __future__ import annotations

import grp
import json
import os
import pwd
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from device.bounded import InputError, loads_bounded
from device.care.crypto import create_key
from device.care.store import DB_NAME, KEY_NAME
from device.telemetry.outbox import DB_NAME as OUTBOX_NAME
from provisioning.fleet import SECRETS_HEADER, SITE_HEADER
from provisioning.identity import DeviceIdentity, ProvisionError, toml_bytes, write_atomic
from provisioning.pki import (
    check_ca_file,
    check_key_pair,
    issued_by,
    load,
    load_cert,
    revocation_list,
)

WIPE_RECORD = "wiped.json"
MAX_REVOKED = 100_000  # revoked.txt: one serial a line


def check_files(ca_file: Path | None, cert_file: Path | None, key_file: Path | None) -> None:
    """What `init` is given is what a device can use: a CA certificate, a matching key pair."""
    if (cert_file is None) != (key_file is None):
        raise ProvisionError("give both --cert and --key, or neither")
    for option, path in (("--ca", ca_file), ("--cert", cert_file), ("--key", key_file)):
        if path is not None and not path.exists():
            raise ProvisionError(f"{option}: {path} is missing")
        if path is not None and not path.is_file():
            raise ProvisionError(f"{option}: {path} is a folder; give the PEM file in it")
    try:
        if ca_file is not None:
            check_ca_file(ca_file)
    except (OSError, ValueError) as exc:
        raise ProvisionError(f"--ca: {exc}") from None
    try:
        if cert_file is not None and key_file is not None:
            check_key_pair(cert_file, key_file)
    except (OSError, ValueError, TypeError) as exc:
        raise ProvisionError(f"--cert/--key: {exc}") from None


def init(
    identity: DeviceIdentity,
    config_dir: Path,
    data_dir: Path,
    *,
    ca_file: Path | None = None,
    cert_file: Path | None = None,
    key_file: Path | None = None,
    force: bool = False,
    button: bool = False,
) -> list[Path]:
    """Write site.toml and secrets.toml (0600) into ``config_dir``, copy the CA and client
    certificate beside them, and create the data key; returns the files written."""
    site = config_dir / "site.toml"
    if site.exists() and not force:
        raise ProvisionError(
            f"{site} exists already: this device is provisioned "
            "(use --force to replace its settings)"
        )
    check_files(ca_file, cert_file, key_file)
    if not identity.password and cert_file is None:
        raise ProvisionError("give the broker password (--password-file) or a client certificate")
    written = []
    for source, name, private in (
        (ca_file, "ca.pem", False),
        (cert_file, "client.pem", False),
        (key_file, "client.key", True),
    ):
        if source is not None:
            write_atomic(config_dir / name, source.read_bytes(), private=private)
            written.append(config_dir / name)
    write_atomic(
        config_dir / "secrets.toml", toml_bytes(identity.secrets(), SECRETS_HEADER), private=True
    )
    settings = identity.site_settings(
        config_dir, data_dir, cert_file is not None, ca_file is not None
    )
    if button:  # a service has no terminal: the push button is the trigger
        settings["trigger"] = {"mode": "gpio"}
    write_atomic(site, toml_bytes(settings, SITE_HEADER))
    written += [config_dir / "secrets.toml", site]
    key = data_dir / KEY_NAME
    if not key.exists():
        create_key(key)
        written.append(key)
    return written


def give_to(user: str, paths: list[Path]) -> str:
    """Make the service user own what init wrote (it reads its secrets and key as that user);
    returns what was done, or the commands IT must run when the user does not exist yet."""
    if os.geteuid() != 0:
        return ""  # written by the user who will run it: nothing to hand over
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        where = " ".join(sorted({str(p) for p in paths}))
        return (
            f"The service user {user} does not exist yet. Create it and give it these files:\n"
            f"  useradd --system --home-dir /var/lib/hemassist --shell /usr/sbin/nologin {user}\n"
            f"  chown {user}: {where}"
        )
    for path in paths:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return f"The files above are owned by {user}, the user the service runs as."


def missing_groups(groups: tuple[str, ...] = ("audio", "gpio")) -> list[str]:
    """Groups the service unit names that this machine lacks (systemd would refuse to start)."""
    missing = []
    for group in groups:
        try:
            grp.getgrnam(group)
        except KeyError:
            missing.append(group)
    return missing


def _erase(path: Path) -> bool:
    """Overwrite, then delete (best effort on flash, where deleting the key is what counts)."""
    if not path.is_file():
        return False
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.write(os.urandom(max(size, 32)))
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
    return True


def wipe(data_dir: Path, device_id: str, secrets: list[Path] | None = None) -> Path:
    """Crypto-erase: overwrite and delete the data key and the device's secrets (broker
    password, client key, care-data key), delete the store and the outbox, and leave a record
    (device id and time, nothing else). Returns the record's path."""
    erased = ["data key"] if _erase(data_dir / KEY_NAME) else []
    for path in secrets or []:
        if _erase(path):
            erased.append(path.name)
    for name in (DB_NAME, OUTBOX_NAME):
        for suffix in ("", "-wal", "-shm", "-journal"):
            (data_dir / f"{name}{suffix}").unlink(missing_ok=True)
    record = data_dir / WIPE_RECORD
    write_atomic(
        record,
        json.dumps(
            {
                "device_id": device_id or "unknown",
                "wiped_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "erased": [*erased, "care-data store", "statistics outbox"],
            },
            indent=1,
        ).encode(),
    )
    return record


def wiped(data_dir: Path) -> dict[str, Any] | None:
    """The wipe record when the device is wiped and not set up again (no data key)."""
    if (data_dir / KEY_NAME).exists():
        return None
    try:
        value = loads_bounded((data_dir / WIPE_RECORD).read_bytes(), 4096, 3, WIPE_RECORD)
    except (OSError, InputError):
        return None
    return value if isinstance(value, dict) else None


def _revoked(ca_dir: Path) -> list[int]:
    listed = ca_dir / "revoked.txt"
    if not listed.exists():
        return []
    words = listed.read_text(encoding="ascii", errors="replace").split()
    if len(words) > MAX_REVOKED or not all(w.isdigit() and len(w) <= 50 for w in words):
        raise ProvisionError(f"{listed} is damaged: one serial number (digits) a line expected")
    return [int(w) for w in words]


def revoke(ca_dir: Path, cert_file: Path) -> Path:
    """Add the certificate's serial to ``ca_dir/crl.pem`` (kept in ``ca_dir/revoked.txt``)."""
    try:
        ca = load(ca_dir / "ca.pem", ca_dir / "ca.key")
        cert = load_cert(cert_file)
    except (OSError, ValueError) as exc:
        raise ProvisionError(f"can't read the CA or certificate: {exc}") from None
    if not issued_by(cert, ca.cert):
        raise ProvisionError(
            f"{cert_file} was not issued by the CA in {ca_dir} (another fleet's or another CA's "
            "certificate): nothing revoked; give the fleet's ca/ folder that issued it"
        )
    serials = _revoked(ca_dir)
    if cert.serial_number not in serials:
        serials.append(cert.serial_number)
    write_atomic(ca_dir / "revoked.txt", "".join(f"{s}\n" for s in serials).encode())
    crl = ca_dir / "crl.pem"
    write_atomic(crl, revocation_list(ca, serials))
    return crl


def refresh_crl(ca_dir: Path, days: int = 30) -> Path:
    """Sign the revocation list again with the same serials, valid ``days`` from now: the
    broker refuses every client certificate once its CRL has run out."""
    try:
        ca = load(ca_dir / "ca.pem", ca_dir / "ca.key")
    except (OSError, ValueError) as exc:
        raise ProvisionError(f"can't read the CA in {ca_dir}: {exc}") from None
    crl = ca_dir / "crl.pem"
    write_atomic(crl, revocation_list(ca, _revoked(ca_dir), days))
    return crl
