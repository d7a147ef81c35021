"""`hemassist provision data publish`: today's bundle to every device of a team, by the broker.

The bundle is validated as a device's import validates it, then sealed to each device's own key
(``care.pub`` in the fleet folder), signed with the municipality's publishing key, and published
retained with QoS 1 to that device's own care topic: a device that is off gets it when it next
connects. Only devices listed in the fleet's ``dashboard/fleet.toml`` get one, so a device
removed from it gets no further bundles. What is printed is counts, never contents.
"""

from __future__ import annotations

import sys
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from device.bounded import InputError, read_toml
from device.care import sealed
from device.care.fhir_import import (
    MAX_PROBLEMS_SHOWN,
    BundleError,
    freshness_problems,
    read_bundle,
)
from device.settings import Settings, TelemetrySettings
from device.telemetry.mqtt import BrokerConfig, BrokerError, MqttLink
from provisioning.identity import ProvisionError, check_id
from provisioning.mosquitto import MAX_PACKET_BYTES

MAX_INFLIGHT = 20  # the broker's max_inflight_messages


@dataclass(frozen=True)
class Recipient:
    device_id: str
    public_key: str  # care.pub: base64 of the device's X25519 public key


@dataclass
class Published:
    """What a publish did: counts and sizes, nothing from the bundle's records."""

    bundle_id: str
    exported: str
    team: str
    devices: int
    acknowledged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    bytes_each: list[int] = field(default_factory=list)
    resources: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def read_recipients(fleet: Path, team: str) -> tuple[str, list[Recipient]]:
    """The organisation and the team's devices with their public keys, from ``fleet``."""
    check_id("team", team)
    listing = fleet / "dashboard" / "fleet.toml"
    try:
        data = read_toml(listing)
    except (OSError, tomllib.TOMLDecodeError, InputError) as exc:
        raise ProvisionError(f"{listing}: can't read the fleet ({exc})") from None
    org, devices = data.get("org"), data.get("devices")
    if not isinstance(org, str) or not isinstance(devices, dict):
        raise ProvisionError(f"{listing}: not a fleet file (org and [devices] expected)")
    check_id("organisation", org)
    recipients, problems = [], []
    for device_id, device_team in sorted(devices.items()):
        if device_team != team:
            continue
        check_id("device id", device_id)
        key_file = fleet / "devices" / device_id / "care.pub"
        try:
            text = key_file.read_text(encoding="ascii").strip()
            sealed.device_public(text)
        except (OSError, ValueError) as exc:
            problems.append(f"{device_id}: {key_file} is missing or not a key ({exc})")
            continue
        recipients.append(Recipient(device_id, text))
    if problems:
        raise ProvisionError("nothing published:\n" + "\n".join(f"  - {p}" for p in problems))
    if not recipients:
        raise ProvisionError(f"nothing published: {listing} lists no device of team {team!r}")
    return org, recipients


def broker_config(fleet: Path, broker_url: str | None, ca: Path | None) -> BrokerConfig:
    """The publishing account (``publisher/secrets.toml``) on the fleet's broker."""
    if broker_url is None:
        sites = sorted((fleet / "devices").glob("*/site.toml"))
        try:
            broker_url = str(read_toml(sites[0])["telemetry"]["broker_url"]) if sites else None
        except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError, InputError):
            broker_url = None
        if not broker_url:
            raise ProvisionError("give --broker-url (the fleet's site files name none)")
    if ca is None and (fleet / "broker" / "ca.pem").is_file():
        ca = fleet / "broker" / "ca.pem"
    # With client certificates the broker wants one from the publisher too (`provision fleet`
    # writes it into publisher/).
    cert, key = fleet / "publisher" / "client.pem", fleet / "publisher" / "client.key"
    with_cert = cert.is_file() and key.is_file()
    try:
        return BrokerConfig.from_settings(
            TelemetrySettings(
                broker_url=broker_url,
                ca_file=ca,
                cert_file=cert if with_cert else None,
                key_file=key if with_cert else None,
                secrets_file=fleet / "publisher" / "secrets.toml",
            )
        )
    except BrokerError as exc:
        raise ProvisionError(str(exc)) from None


def publish(
    settings: Settings,
    bundle_path: Path,
    fleet: Path,
    team: str,
    config: BrokerConfig,
    timeout_s: float = 120.0,
    progress: bool = True,
) -> Published:
    """Validate, seal per device, sign, publish; returns what the broker acknowledged."""
    started = time.perf_counter()
    org, recipients = read_recipients(fleet, team)
    try:
        signer = sealed.load_publisher_key(fleet / "publisher" / "publisher.key")
    except (OSError, ValueError) as exc:
        raise ProvisionError(f"the publishing key: {exc}") from None
    try:
        bundle = read_bundle(
            bundle_path,
            int(settings.store.max_bundle_mb * 1_000_000),
            settings.input.max_bundle_depth,
        )
    except BundleError as exc:
        raise ProvisionError(_unpublished(bundle_path, exc.problems)) from None
    now = datetime.now(settings.tz)
    problems = freshness_problems(bundle.exported, now, settings.store.retention_days, None)
    if problems or bundle.exported is None:  # the devices would refuse it: say so here
        raise ProvisionError(_unpublished(bundle_path, problems))
    raw = bundle_path.read_bytes()
    messages = []
    for recipient in recipients:
        payload = sealed.seal(
            raw,
            org=org,
            device_id=recipient.device_id,
            recipient=sealed.device_public(recipient.public_key),
            exported=bundle.exported,
            published=now,
            signer=signer,
        )
        if len(payload) > MAX_PACKET_BYTES:
            raise ProvisionError(
                f"sealed, the bundle is {len(payload):,} bytes, more than the broker's "
                f"message_size_limit of {MAX_PACKET_BYTES:,}: nothing published"
            )
        messages.append((recipient.device_id, payload))
    result = Published(
        bundle.bundle_id,
        bundle.exported.isoformat(timespec="minutes"),
        team,
        len(recipients),
        bytes_each=[len(p) for _, p in messages],
        resources=dict(bundle.counts),
    )
    _send(config, org, messages, result, timeout_s, progress)
    result.seconds = time.perf_counter() - started
    return result


def _send(
    config: BrokerConfig,
    org: str,
    messages: list[tuple[str, bytes]],
    result: Published,
    timeout_s: float,
    progress: bool,
) -> None:
    link = MqttLink(config, "care-publisher", None)
    try:
        link.connect()
    except BrokerError as exc:
        raise ProvisionError(f"nothing published: {exc}") from None
    deadline = time.monotonic() + timeout_s
    pending: dict[int, str] = {}
    queue = list(messages)
    bar = tqdm(total=len(messages), unit="device", disable=not progress, file=sys.stderr)
    try:
        while (queue or pending) and time.monotonic() < deadline:
            while queue and len(pending) < MAX_INFLIGHT:
                device_id, payload = queue.pop(0)
                mid = link.publish(sealed.care_topic(org, device_id), payload, retain=True)
                pending[mid] = device_id
            for mid in link.poll(0.05):
                if mid in pending:
                    result.acknowledged.append(pending.pop(mid))
                    bar.update(1)
            for mid in link.refused:
                if mid in pending:
                    result.refused.append(pending.pop(mid))
                    bar.update(1)
            link.refused.clear()
    except BrokerError as exc:
        log_lost = [*pending.values(), *(d for d, _ in queue)]
        raise ProvisionError(
            f"{exc}; published to {len(result.acknowledged)} devices, not to: "
            + ", ".join(log_lost)
        ) from None
    finally:
        bar.close()
        link.close()
    result.refused += [*pending.values(), *(d for d, _ in queue)]  # not acknowledged in time


def _unpublished(path: Path, problems: list[str]) -> str:
    """The import's own problem lines (fields, never values), said for IT's side."""
    shown = problems[:MAX_PROBLEMS_SHOWN]
    more = f"\n  … and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
    return f"{path}: nothing published.\n" + "\n".join(f"  - {p}" for p in shown) + more


def summary(result: Published) -> str:
    """Counts and sizes for IT's console: never a value from the records."""
    sizes = result.bytes_each
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(result.resources.items()))
    lines = [
        f"Published bundle {result.bundle_id} (exported {result.exported}; {counts}) to "
        f"{len(result.acknowledged)} of {result.devices} devices of team {result.team} "
        f"in {result.seconds:.1f} s.",
        f"Sealed message per device: {min(sizes):,}–{max(sizes):,} bytes.",
    ]
    if result.refused:
        lines.append("Not published (refused or not acknowledged): " + ", ".join(result.refused))
    return "\n".join(lines)
