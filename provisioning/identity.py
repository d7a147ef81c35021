"""Device identity and its files: ids, the site settings file, the secrets file. Pure checks and
text, plus atomic writes (a temporary file renamed into place, secrets with mode 0600)."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from device.bounded import quote

ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")  # matched whole (fullmatch)
# A device's id is its broker user name and client id: never one of the fleet's own accounts.
RESERVED_IDS = frozenset(
    {
        "dashboard",
        "collector",
        "hemassist",
        "hemassist-dashboard",
        "admin",
        "root",
        "mosquitto",
        "care-publisher",
    }
)
LANGUAGES = ("sv", "en")


class ProvisionError(Exception):
    """Provisioning can't go ahead; the message says which value or file is wrong."""


def check_id(kind: str, value: str) -> str:
    """Device, organisation and team ids: lower-case letters, digits and inner dashes only.

    They become MQTT topic levels, so "+", "#", "/" and capitals are refused outright.
    """
    if not ID.fullmatch(value or ""):
        raise ProvisionError(
            f"{kind} {quote(value)} is not valid: use lower-case letters a-z, digits and '-' "
            "(no capitals, spaces, '/', '+' or '#'), at most 64 characters"
        )
    if kind == "device id" and value in RESERVED_IDS:
        raise ProvisionError(
            f"device id {value!r} is reserved (the broker's and the dashboard's own accounts: "
            f"{', '.join(sorted(RESERVED_IDS))})"
        )
    return value


def check_broker_url(value: str) -> str:
    url = urlsplit(value)
    if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
        raise ProvisionError(f"broker URL {value!r} must look like mqtts://broker.example:8883")
    return value


def new_password() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class DeviceIdentity:
    device_id: str
    org: str
    team: str
    broker_url: str
    language: str = "sv"
    worker: str = ""
    username: str = ""
    password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        check_id("device id", self.device_id)
        check_id("organisation", self.org)
        check_id("team", self.team)
        check_broker_url(self.broker_url)
        if self.language not in LANGUAGES:
            raise ProvisionError(
                f"language {self.language!r} must be one of {', '.join(LANGUAGES)}"
            )
        if self.worker and not re.fullmatch(r"[A-Za-z0-9.-]{1,64}", self.worker):
            raise ProvisionError(f"worker {quote(self.worker)} must be a practitioner id")

    def site_settings(
        self, config_dir: Path, data_dir: Path | None, with_client_cert: bool, with_ca: bool
    ) -> dict[str, Any]:
        settings: dict[str, Any] = {"language": self.language, "worker": self.worker}
        if data_dir is not None:
            settings["data_dir"] = str(data_dir)
        settings["device"] = {"id": self.device_id, "org": self.org, "team": self.team}
        telemetry: dict[str, Any] = {
            "broker_url": self.broker_url,
            "secrets_file": str(config_dir / "secrets.toml"),
        }
        if with_ca:
            telemetry["ca_file"] = str(config_dir / "ca.pem")
        if with_client_cert:
            telemetry["cert_file"] = str(config_dir / "client.pem")
            telemetry["key_file"] = str(config_dir / "client.key")
        settings["telemetry"] = telemetry
        return settings

    def secrets(self) -> dict[str, str]:
        return {"username": self.username or self.device_id, "password": self.password}


def write_atomic(path: Path, data: bytes, private: bool = False) -> None:
    """Write via a temporary file in the same folder; secrets get mode 0600 from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)


def toml_bytes(data: dict[str, Any], header: str) -> bytes:
    return (header + "\n" + tomli_w.dumps(data)).encode()
