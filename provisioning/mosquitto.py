"""Mosquitto's password-file and ACL lines, written the way mosquitto_passwd and the broker read
them, so IT can provision many devices without running mosquitto_passwd for each."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from device.care.sealed import care_topic

ITERATIONS = 101  # mosquitto_passwd's default for its $7$ (PBKDF2-SHA512) format
SALT_BYTES = 12


def password_line(username: str, password: str, salt: bytes | None = None) -> str:
    """``user:$7$101$salt$hash``, as ``mosquitto_passwd -b`` writes it."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    encoded_salt = base64.b64encode(salt).decode()
    encoded_hash = base64.b64encode(digest).decode()
    return f"{username}:$7${ITERATIONS}${encoded_salt}${encoded_hash}"


def device_acl(username: str, org: str, device_id: str) -> str:
    """A device may only write its own topics, and read only its own care-data topic."""
    return (
        f"user {username}\ntopic write hemassist/v1/{org}/{device_id}/#\n"
        f"topic read {care_topic(org, device_id)}\n"
    )


def publisher_acl(username: str, org: str) -> str:
    """IT's publishing account may write every device's care-data topic, and read nothing."""
    return f"user {username}\ntopic write {care_topic(org, '+')}\n"


def reader_acl(username: str, org: str) -> str:
    """The dashboard's collector may read the organisation's topics, and write nothing."""
    return f"user {username}\ntopic read hemassist/v1/{org}/#\n"


# What one device can have queued for the collector: the outbox keeps up to 30 days, sent as
# hourly statistics and a health message every 15 minutes.
MESSAGES_PER_DEVICE_DAY = 24 + 96 + 4
QUEUE_DAYS = 7  # the collector may be away this long without a message lost
# A team's sealed care data: 4 MiB holds about 24 MB of FHIR JSON at the example bundle's 6:1
# (docs/broker.md). Statistics messages are a few kB; the dashboard refuses any over 256 kB.
MAX_PACKET_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class BrokerLayout:
    """Where the broker finds its files, and how it listens."""

    config_dir: Path  # passwd, acl, ca.pem, server.pem, server.key
    persistence_dir: Path
    port: int = 8883
    bind: str = ""  # "" = every interface
    devices: int = 1
    log_file: Path | None = None  # None: the system's log (syslog/journal)
    crl_file: Path | None = None
    client_certs: bool = False
    # A drop-in for Debian's /etc/mosquitto/conf.d: Debian's own mosquitto.conf sets
    # persistence and persistence_location already, and Mosquitto refuses a second location.
    dropin: bool = False


def broker_config(layout: BrokerLayout) -> str:
    """The Mosquitto configuration the fleet needs, each line with the reason it is there: a
    whole configuration file, or with ``layout.dropin`` the part Debian's packaged
    mosquitto.conf does not already say (tests/test_broker_files.py starts both)."""
    queued = max(10_000, layout.devices * MESSAGES_PER_DEVICE_DAY * QUEUE_DAYS)
    folder = layout.config_dir
    lines = [
        "# Mosquitto for hemassist, written by `hemassist provision`. Each setting says why.",
        (
            "# For /etc/mosquitto/conf.d/ beside Debian's own mosquitto.conf (docs/broker.md)."
            if layout.dropin
            else "# A whole configuration: mosquitto -c <this file> (docs/broker.md)."
        ),
        "# One set of rules for every listener: the ACL and password file apply everywhere.",
        "per_listener_settings false",
        "# Only known accounts: every device and the dashboard's collector log in.",
        "allow_anonymous false",
        f"password_file {folder / 'passwd'}",
        "# A device may write only its own topics; the collector may only read.",
        f"acl_file {folder / 'acl'}",
        "# The collector's session and its queue survive a broker restart.",
        *(
            [
                "# (persistence true and persistence_location are set by Debian's",
                "# /etc/mosquitto/mosquitto.conf, which includes this file: said twice, Mosquitto",
                "# refuses to start.)",
            ]
            if layout.dropin
            else ["persistence true", f"persistence_location {layout.persistence_dir}/"]
        ),
        "autosave_interval 60",
        f"# Messages kept for the collector while it is away: {layout.devices} devices ×",
        f"# {MESSAGES_PER_DEVICE_DAY} messages a day × {QUEUE_DAYS} days (Mosquitto keeps only",
        "# 1,000 by default, and drops the rest).",
        f"max_queued_messages {queued}",
        "max_queued_bytes 0",
        "# Unacknowledged messages per client in flight, as a device's outbox sends them.",
        "max_inflight_messages 20",
        "# A team's sealed care data fits (statistics are a few kB; the collector refuses any",
        "# over 256 kB itself).",
        f"message_size_limit {MAX_PACKET_BYTES}",
        "# Sessions of devices that never come back are forgotten after 30 days.",
        "persistent_client_expiration 30d",
    ]
    if layout.log_file is not None:
        lines.append(f"log_dest file {layout.log_file}")
    listener = f"listener {layout.port}" + (f" {layout.bind}" if layout.bind else "")
    lines += [
        "# TLS only: passwords and statistics never cross the network in the clear. The",
        "# settings below a listener line belong to that listener; before any listener they",
        "# would open Mosquitto's default plain listener on 1883.",
        listener,
        "# The connection is the identity: a client's id is its user name, so no device can",
        "# take over the collector's session or another device's (a second login with the same",
        "# id only replaces a connection of the same account).",
        "use_username_as_clientid true",
        f"cafile {folder / 'ca.pem'}",
        f"certfile {folder / 'server.pem'}",
        f"keyfile {folder / 'server.key'}",
        "tls_version tlsv1.2",
    ]
    if layout.client_certs:
        lines += ["# Devices also show a client certificate signed by the fleet's CA.",
                  "require_certificate true"]  # fmt: skip
        if layout.crl_file is not None:
            lines.append(f"crlfile {layout.crl_file}")
    return "\n".join(lines) + "\n"
