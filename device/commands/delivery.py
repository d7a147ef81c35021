"""Care data over the broker, the device's side: `hemassist provision data receive [--once]` and
the subscription of the long-running process (`run`, `ask --jsonl`).

Each message is checked by device.care.sealed (size, signature, recipient, freshness), opened,
validated as a hand import is, and imported with ``import_valid``; anything refused leaves the
data in use and one log line naming the reason, never a value from the message.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from device.commands.care import import_valid
from device.commands.common import EXIT_ERROR, EXIT_OK
from device.settings import Settings

log = logging.getLogger("hemassist.delivery")

STATE_FILE = "delivery.json"  # the last result, for `provision data status` (nothing personal)
SOURCE = "care data from the broker"


class DeliveryError(Exception):
    """Receiving is not set up; the message names the setting."""


class Result(StrEnum):
    IMPORTED = "imported"
    CURRENT = "current"  # the same export again: nothing to do
    REFUSED = "refused"


class CareReceiver:
    """Checks and imports sealed messages for this device; ``handle`` never raises."""

    def __init__(self, settings: Settings) -> None:
        from device.care.sealed import care_topic, load_device_key, publisher_public

        device, delivery = settings.device, settings.delivery
        if not (device.id and device.org):
            raise DeliveryError("device.id and device.org are not set")
        if not delivery.publisher_key:
            raise DeliveryError(
                "delivery.publisher_key is not set: this device takes no care data from the "
                "broker (provision it with `hemassist provision fleet`)"
            )
        if delivery.key_file is None:
            raise DeliveryError("delivery.key_file is not set (this device's care-data key)")
        try:
            key = load_device_key(delivery.key_file)
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"delivery.key_file: {exc}") from None
        self.settings = settings
        self.topic = care_topic(device.org, device.id)
        self._key = key
        self._publisher = publisher_public(delivery.publisher_key)
        self._lock = threading.Lock()  # one import at a time, whoever calls

    def handle(self, payload: bytes, topic: str | None = None) -> Result:
        """Verify and import one message. Every failure is a refusal with a log line; nothing a
        message holds can raise past here or change the data in use."""
        from device.care.sealed import Reason, Refused

        with self._lock:
            try:
                if topic is not None and topic != self.topic:
                    raise Refused(Reason.RECIPIENT, "topic")
                exported = self._import(payload)
            except Refused as exc:
                if exc.reason is Reason.CURRENT:
                    log.info("care data from the broker: %s", exc)
                    self._record(Result.CURRENT, None)
                    return Result.CURRENT
                log.warning("care data refused: %s; the care data in use stays", exc)
                self._record(Result.REFUSED, exc.reason.name.lower())
                return Result.REFUSED
            except Exception as exc:  # the boundary: log the kind of failure, never its text
                log.warning(
                    "care data refused: %s while opening it; the care data in use stays",
                    type(exc).__name__,
                )
                self._record(Result.REFUSED, "error")
                return Result.REFUSED
            log.info("care data from the broker imported (exported %s)", exported)
            self._record(Result.IMPORTED, None, exported)
            return Result.IMPORTED

    def _import(self, payload: bytes) -> str:
        from device.care.fhir_import import BundleError, parse_bundle
        from device.care.sealed import Expect, Reason, Refused, open_sealed

        settings = self.settings
        opened = open_sealed(
            payload,
            Expect(
                org=settings.device.org,
                device_id=settings.device.id,
                private_key=self._key,
                publisher=self._publisher,
                max_message_bytes=int(settings.delivery.max_message_mb * 1_000_000),
                max_bundle_bytes=int(settings.store.max_bundle_mb * 1_000_000),
                in_use=self._in_use(),
            ),
        )
        try:
            bundle = parse_bundle(opened.bundle, SOURCE, settings.input.max_bundle_depth)
        except BundleError as exc:  # its lines name fields, never values
            log.warning("%s", exc)
            raise Refused(Reason.BUNDLE, f"{len(exc.problems)} problems") from None
        if bundle.exported != opened.header.exported:
            raise Refused(Reason.MISMATCH)
        # stdout carries the answers' JSON lines in `run` and `ask --jsonl`: the summary goes
        # to stderr.
        code = import_valid(settings, bundle, SOURCE, allow_older=False, out=sys.stderr)
        if code != EXIT_OK:
            raise Refused(Reason.STORE)
        return opened.header.exported.isoformat(timespec="minutes")

    def _in_use(self) -> datetime | None:
        from device.care.store import CareStore

        store = CareStore(self.settings.data_dir, self.settings.store.retention_days)
        try:
            return store.exported_in_use()
        finally:
            store.close()

    def _record(self, result: Result, reason: str | None, exported: str | None = None) -> None:
        state = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "result": result.value,
            "reason": reason,
            "exported": exported,
        }
        path = self.settings.data_dir / STATE_FILE
        try:
            temp = path.with_name(f".{STATE_FILE}.tmp")
            temp.write_text(json.dumps(state))
            temp.replace(path)
        except OSError as exc:  # the state file is a convenience; the import is what counts
            log.warning("can't write %s: %s", path, exc.strerror)


def last_delivery(data_dir: Path) -> dict[str, Any] | None:
    """The last result written by a receiver, if any (for `provision data status`)."""
    from device.bounded import InputError, loads_bounded

    try:
        value = loads_bounded((data_dir / STATE_FILE).read_bytes(), 4096, 3, STATE_FILE)
    except (OSError, InputError):
        return None
    return value if isinstance(value, dict) else None


def care_exported(settings: Settings) -> datetime | None:
    """When the care data in use was exported, for the health message; None if unknown."""
    from device.care.store import CareStore

    try:
        store = CareStore(settings.data_dir, settings.store.retention_days)
        try:
            return store.exported_in_use()
        finally:
            store.close()
    except Exception:  # a health reading never stops the sender
        return None


def care_subscription(settings: Settings) -> tuple[str, Any] | None:
    """(topic, handler) for the long-running process, when delivery is set up; else None."""
    if not settings.delivery.publisher_key:
        return None
    try:
        receiver = CareReceiver(settings)
    except DeliveryError as exc:
        log.warning("care data will not be received from the broker: %s", exc)
        return None
    return receiver.topic, receiver.handle


def receive(settings: Settings, once: bool, timeout: float | None = None) -> int:
    """Take the retained message for this device and import it (``once``), or keep listening."""
    from device.telemetry.mqtt import BrokerConfig, BrokerError

    try:
        receiver = CareReceiver(settings)
        config = BrokerConfig.from_settings(settings.telemetry)
    except (DeliveryError, BrokerError) as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if not once:
        return _listen(receiver, config)
    try:
        result = _receive_once(receiver, config, timeout or settings.delivery.receive_timeout_s)
    except BrokerError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if result is None:
        print(f"No care data is waiting for this device on the broker ({receiver.topic}).")
        return EXIT_OK
    if result is Result.CURRENT:
        print("The care data on the broker is the one in use already.")
    return EXIT_OK if result is not Result.REFUSED else EXIT_ERROR


def _receive_once(receiver: CareReceiver, config: Any, timeout: float) -> Result | None:
    from device.telemetry.mqtt import MqttLink, client_id_for

    link = MqttLink(config, client_id_for(receiver.settings.device.id), None)
    link.connect()
    try:
        link.subscribe(receiver.topic)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            link.poll(0.1)
            for topic, payload in link.received():
                return receiver.handle(payload, topic)  # retained: one per topic
            denied = link.denied()
            if denied is not None:  # say why now, rather than wait out the timeout
                raise denied
        return None
    finally:
        link.close()


def _listen(receiver: CareReceiver, config: Any) -> int:
    """Until interrupted: subscribed, each message handled, reconnecting with backoff."""
    from device.telemetry.mqtt import BrokerError, MqttLink, client_id_for
    from device.telemetry.sync import Backoff

    backoff = Backoff(cap=receiver.settings.telemetry.backoff_max_s)
    print(f"Listening for care data on {receiver.topic} (Ctrl-C ends).", file=sys.stderr)
    while True:
        link = MqttLink(config, client_id_for(receiver.settings.device.id), None)
        try:
            link.connect()
            link.subscribe(receiver.topic)
            backoff.reset()
            while True:
                link.poll(0.5)
                for topic, payload in link.received():
                    receiver.handle(payload, topic)
                denied = link.denied()
                if denied is not None:
                    raise denied
        except BrokerError as exc:
            if exc.kind in ("config", "auth", "tls", "denied"):
                print(f"hemassist: {exc}", file=sys.stderr)
                return EXIT_ERROR  # retrying won't help: IT must fix the settings
            log.warning("care data: %s; reconnecting", exc)
        finally:
            link.close()
        time.sleep(backoff.next_delay())
