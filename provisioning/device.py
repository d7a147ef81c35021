"""One device: `init` writes its identity, settings and secrets and creates the data key;
`wipe` crypto-erases it; `revoke` puts a device's certificate on the CA's revocation list."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509

from device.care.crypto import create_key
from device.care.store import DB_NAME, KEY_NAME
from device.telemetry.outbox import DB_NAME as OUTBOX_NAME
from provisioning.fleet import SECRETS_HEADER, SITE_HEADER
from provisioning.identity import DeviceIdentity, ProvisionError, toml_bytes, write_atomic
from provisioning.pki import load, revocation_list

WIPE_RECORD = "wiped.json"


def init(
    identity: DeviceIdentity,
    config_dir: Path,
    data_dir: Path,
    *,
    ca_file: Path | None = None,
    cert_file: Path | None = None,
    key_file: Path | None = None,
    force: bool = False,
) -> list[Path]:
    """Write site.toml and secrets.toml (0600) into ``config_dir``, copy the CA and client
    certificate beside them, and create the data key; returns the files written."""
    site = config_dir / "site.toml"
    if site.exists() and not force:
        raise ProvisionError(
            f"{site} exists already: this device is provisioned "
            "(use --force to replace its settings)"
        )
    if (cert_file is None) != (key_file is None):
        raise ProvisionError("give both --cert and --key, or neither")
    for option, path in (("--ca", ca_file), ("--cert", cert_file), ("--key", key_file)):
        if path is not None and not path.is_file():
            raise ProvisionError(f"{option}: {path} does not exist")
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
    write_atomic(site, toml_bytes(settings, SITE_HEADER))
    written += [config_dir / "secrets.toml", site]
    key = data_dir / KEY_NAME
    if not key.exists():
        create_key(key)
        written.append(key)
    return written


def wipe(data_dir: Path, device_id: str) -> Path:
    """Crypto-erase: overwrite and delete the key, delete the store and the outbox, and leave a
    record (device id and time, nothing else). Returns the record's path."""
    key = data_dir / KEY_NAME
    if key.exists():
        size = key.stat().st_size
        with key.open("r+b") as handle:  # best effort on flash, where the key is what matters
            handle.write(os.urandom(max(size, 32)))
            handle.flush()
            os.fsync(handle.fileno())
        key.unlink()
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
                "erased": ["data key", "care-data store", "statistics outbox"],
            },
            indent=1,
        ).encode(),
    )
    return record


def revoke(ca_dir: Path, cert_file: Path) -> Path:
    """Add the certificate's serial to ``ca_dir/crl.pem`` (kept in ``ca_dir/revoked.txt``)."""
    try:
        ca = load(ca_dir / "ca.pem", ca_dir / "ca.key")
        cert = load_cert(cert_file)
    except (OSError, ValueError) as exc:
        raise ProvisionError(f"can't read the CA or certificate: {exc}") from None
    if cert.issuer != ca.cert.subject:
        raise ProvisionError(f"{cert_file} was not issued by the CA in {ca_dir}")
    listed = ca_dir / "revoked.txt"
    serials = [int(x) for x in listed.read_text().split()] if listed.exists() else []
    if cert.serial_number not in serials:
        serials.append(cert.serial_number)
    write_atomic(listed, "".join(f"{s}\n" for s in serials).encode())
    crl = ca_dir / "crl.pem"
    write_atomic(crl, revocation_list(ca, serials))
    return crl


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())
