"""`hemassist sync` and `hemassist stats`, and the statistics pieces other commands use:
the outbox of this device, a recorder of answered turns, the background sender."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from device.commands.common import EXIT_ERROR, EXIT_OK, log
from device.settings import Settings


def outbox_for(settings: Settings) -> Any:
    """The statistics outbox, or None when the device has no id (statistics off)."""
    from device.telemetry.outbox import Identity, Outbox

    device = settings.device
    if not (device.id and device.org):
        return None
    telemetry = settings.telemetry
    return Outbox(
        settings.data_dir,
        Identity(device.id, device.org, device.team or None),
        max_messages=telemetry.max_messages,
        max_age=timedelta(days=telemetry.max_age_days),
        keep_sent=timedelta(days=telemetry.keep_sent_days),
    )


def recorder_for(settings: Settings) -> Callable[..., None]:
    """Records each answered turn as a usage event (intent, outcome, timings; nothing else)."""
    from device.telemetry.events import TurnEvent
    from device.telemetry.outbox import OutboxError

    try:
        outbox = outbox_for(settings)
    except OutboxError as exc:
        log.warning("%s; usage statistics are not recorded", exc)
        return lambda *args, **kwargs: None
    if outbox is None:
        return lambda *args, **kwargs: None

    def record(turn: Any, engine: str = "text", extra_ms: dict[str, float] | None = None) -> None:
        timings = {**turn.timings_ms, **(extra_ms or {})}
        if "voice_total" in timings:
            timings["total"] = timings["voice_total"]
        signal = turn.signal.as_dict() if turn.signal else None
        event = TurnEvent.of(
            turn.intent, turn.language, turn.path, turn.outcome, timings, engine, signal
        )
        try:
            outbox.record(event, datetime.now(UTC))
        except OutboxError as exc:  # statistics never stop an answer
            log.warning("%s", exc)

    return record


def sync(settings: Settings, args: argparse.Namespace) -> int:
    from device.telemetry.mqtt import BrokerConfig, BrokerError
    from device.telemetry.outbox import OutboxError
    from device.telemetry.sync import Syncer, TelemetryService

    try:
        outbox = outbox_for(settings)
    except OutboxError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if outbox is None:
        print(
            "hemassist: device.id and device.org are not set: this device records no "
            "statistics (set HEMASSIST_DEVICE__ID and HEMASSIST_DEVICE__ORG)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    telemetry = settings.telemetry
    try:
        config = BrokerConfig.from_settings(telemetry)
        outbox.seal(datetime.now(UTC), include_current=args.flush)
        TelemetryService(outbox, None, settings.data_dir).queue_health()
        syncer = Syncer(outbox, config, telemetry.max_inflight, telemetry.backoff_max_s)
        sent = syncer.sync(args.timeout or telemetry.sync_timeout_s)
    except (BrokerError, OutboxError) as exc:
        state = outbox.state()
        print(f"hemassist: {exc}. {state.queued} statistics messages stay queued.", file=sys.stderr)
        return EXIT_ERROR
    finally:
        outbox.close()
    print(f"Sent {sent} statistics messages to {config.host}:{config.port}.")
    return EXIT_OK


def stats(settings: Settings, args: argparse.Namespace) -> int:
    from device.telemetry.outbox import OutboxError

    try:
        outbox = outbox_for(settings)
    except OutboxError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if outbox is None:
        print("Statistics are off: device.id and device.org are not set.")
        return EXIT_OK
    state, totals = outbox.state(), outbox.totals()
    outbox.close()
    if args.json:
        rows = [{"intent": i, "outcome": o, "count": n} for (i, o), n in sorted(totals.items())]
        print(json.dumps({"outbox": state.as_dict(), "turns": rows}, indent=2))
        return EXIT_OK
    print(f"{'intent':16} {'outcome':12} {'turns':>6}")
    for (intent, outcome), count in sorted(totals.items()):
        print(f"{intent:16} {outcome:12} {count:>6}")
    print(f"{'total':29} {sum(totals.values()):>6}\n")
    for key, value in state.as_dict().items():
        print(f"{key.replace('_', ' ')}: {value if value is not None else '-'}")
    return EXIT_OK


def telemetry_service(settings: Settings) -> Any:
    """The background statistics sender of a long-running device process, when configured."""
    from device.telemetry.mqtt import BrokerConfig, BrokerError
    from device.telemetry.outbox import OutboxError
    from device.telemetry.sync import TelemetryService

    if not settings.telemetry.broker_url:
        return None
    try:
        outbox = outbox_for(settings)
        if outbox is None:
            return None
        config = BrokerConfig.from_settings(settings.telemetry)
    except (BrokerError, OutboxError) as exc:
        log.warning("usage statistics will not be sent: %s", exc)
        return None
    from device.commands.delivery import care_exported, care_subscription

    telemetry = settings.telemetry
    service = TelemetryService(
        outbox,
        config,
        settings.data_dir,
        telemetry.max_inflight,
        telemetry.health_interval_s,
        telemetry.backoff_max_s,
        care=care_subscription(settings),  # care data for this device, on the same connection
        care_exported=lambda: care_exported(settings),
    )
    service.start()
    return service
