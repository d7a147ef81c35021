"""Sending the outbox: drain with a bounded window of unacknowledged messages, reconnect with
jittered backoff, and a supervised background loop for the device process.

A message leaves the outbox (is marked sent) only when the broker acknowledged it. After a lost
connection everything unacknowledged is sent again, so the receiver may see duplicates; it drops
them by (device_id, seq).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from device import __version__
from device.telemetry.health import read_health
from device.telemetry.mqtt import BrokerConfig, BrokerError, MqttLink, client_id_for
from device.telemetry.outbox import Outbox
from device.telemetry.schema import HealthMessage, ModelRole, StatusMessage, status_topic

log = logging.getLogger("hemassist.telemetry")

FAREWELL_S = 3.0


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass
class Backoff:
    """Full-jitter exponential backoff: 0..min(cap, base·2^n) seconds."""

    base: float = 1.0
    cap: float = 300.0
    attempt: int = 0

    def next_delay(self) -> float:
        delay = random.uniform(0, min(self.cap, self.base * 2**self.attempt))
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0


class Syncer:
    def __init__(
        self,
        outbox: Outbox,
        config: BrokerConfig,
        max_inflight: int = 20,
        backoff_max_s: float = 300.0,
        link_factory: Callable[..., MqttLink] = MqttLink,
    ) -> None:
        self.outbox = outbox
        self.config = config
        self.max_inflight = max_inflight
        self.backoff = Backoff(cap=backoff_max_s)
        self._link_factory = link_factory
        identity = outbox.identity
        self._status_topic = status_topic(identity.org, identity.device_id)
        self.last_error: BrokerError | None = None

    def status(self, online: bool) -> tuple[str, bytes]:
        message = StatusMessage(
            device_id=self.outbox.identity.device_id, online=online, changed_at=now_utc()
        )
        return self._status_topic, message.model_dump_json().encode()

    def connect(self) -> MqttLink:
        link = self._link_factory(
            self.config, client_id_for(self.outbox.identity.device_id), self.status(False)
        )
        try:
            link.connect()
            topic, payload = self.status(True)
            link.publish(topic, payload, retain=True)
        except BrokerError:
            link.close()
            raise
        return link

    def drain(self, link: MqttLink, stop: Callable[[], bool] = lambda: False) -> int:
        """Send until the outbox is empty (or ``stop``); returns how many were acknowledged."""
        inflight: dict[int, int] = {}  # paho message id → outbox seq
        last_seq = 0
        sent = 0
        while not stop():
            if len(inflight) < self.max_inflight:
                rows = self.outbox.unsent(last_seq, self.max_inflight - len(inflight))
                for seq, topic, payload in rows:
                    inflight[link.publish(topic, payload)] = seq
                    last_seq = seq
                if not rows and not inflight:
                    return sent
            acked = [inflight.pop(mid) for mid in link.poll(0.05) if mid in inflight]
            # Statistics only: a refused care-data subscription must not stop them.
            denied = link.denied(subscriptions=False)
            if denied is not None:  # waiting would not help: the broker said no
                raise denied
            if acked:
                self.outbox.mark_sent(acked, now_utc())
                sent += len(acked)
        return sent

    def sync(self, timeout_s: float) -> int:
        """Send everything queued, reconnecting as needed; BrokerError if time runs out first."""
        deadline = time.monotonic() + timeout_s
        sent = 0
        while True:
            try:
                link = self.connect()
                try:
                    sent += self.drain(link, stop=lambda: time.monotonic() > deadline)
                finally:
                    link.close(self.status(False))
                if not self.outbox.unsent(0, 1):
                    self.backoff.reset()
                    return sent
            except BrokerError as exc:
                self.last_error = exc
                if exc.kind in ("config", "auth", "tls", "denied"):
                    raise  # retrying won't help: IT must fix the settings or the ACL
                log.warning("statistics not sent yet: %s", exc)
            delay = self.backoff.next_delay()
            if time.monotonic() + delay > deadline:
                raise self.last_error or BrokerError(
                    "unreachable", "gave up before everything was sent"
                )
            time.sleep(delay)


class TelemetryService:
    """The device process's background sender: seals hours, queues health, keeps sending.

    A supervised loop: any failure is logged (never with care data), waited out with jittered
    backoff, and retried; ``stop()`` ends it with a retained offline status.
    """

    def __init__(
        self,
        outbox: Outbox,
        config: BrokerConfig | None,
        data_dir: Path,
        max_inflight: int = 20,
        health_interval_s: float = 900,
        backoff_max_s: float = 300,
        models: dict[ModelRole, str] | None = None,
        care: tuple[str, Callable[[bytes, str], object]] | None = None,
        care_exported: Callable[[], datetime | None] = lambda: None,
    ) -> None:
        self.outbox = outbox
        # (topic, handler): care data for this device rides the same connection, since the
        # broker binds the client id to the account and a second connection would replace it.
        self._care = care
        self._care_exported = care_exported
        self.syncer = Syncer(outbox, config, max_inflight, backoff_max_s) if config else None
        self._data_dir = data_dir
        self._health_interval = health_interval_s
        self._models = models or {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="telemetry", daemon=True)
        self._next_health = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def queue_health(self) -> None:
        health = read_health(self._data_dir)
        state = self.outbox.state()
        identity = self.outbox.identity
        self.outbox.enqueue(
            lambda seq: HealthMessage(
                device_id=identity.device_id,
                org=identity.org,
                team=identity.team,
                seq=seq,
                sent_at=now_utc(),
                uptime_s=health.uptime_s,
                cpu_temp_c=health.cpu_temp_c,
                mem_used_mb=health.mem_used_mb,
                mem_total_mb=health.mem_total_mb,
                disk_free_mb=health.disk_free_mb,
                app_version=__version__,
                models=self._models,
                outbox_backlog=state.queued,
                outbox_dropped=state.dropped,
                care_exported=self._care_exported(),
            ),
            now_utc(),
        )

    def _tick(self) -> None:
        self.outbox.seal(now_utc())
        if time.monotonic() >= self._next_health:
            self.queue_health()
            self._next_health = time.monotonic() + self._health_interval

    def _run(self) -> None:
        link: MqttLink | None = None
        while not self._stop.is_set():
            try:
                self._tick()
                if self.syncer is None:
                    self._stop.wait(5)
                    continue
                if link is None or not link.connected:
                    link = self.syncer.connect()
                    if self._care is not None:
                        link.subscribe(self._care[0])
                    self.syncer.backoff.reset()
                self.syncer.drain(link, stop=self._stop.is_set)
                link.poll(0.5)  # keep the connection alive while idle
                for topic, payload in link.received():
                    if self._care is not None:
                        self._care[1](payload, topic)  # never raises (it logs refusals)
            except Exception as exc:  # supervised: log, back off, go on
                log.warning(
                    "statistics sender: %s",
                    exc if isinstance(exc, BrokerError) else type(exc).__name__,
                )
                if link is not None:
                    link.close()
                    link = None
                backoff = self.syncer.backoff if self.syncer else Backoff()
                self._stop.wait(backoff.next_delay())
        self._farewell(link)

    def _farewell(self, link: MqttLink | None) -> None:
        """On shutdown: seal the current hour and send what can go within a few seconds."""
        try:
            self.outbox.seal(now_utc(), include_current=True)
            if self.syncer is None:
                return
            if link is None or not link.connected:
                link = self.syncer.connect()
            deadline = time.monotonic() + FAREWELL_S
            self.syncer.drain(link, stop=lambda: time.monotonic() > deadline)
        except Exception as exc:  # what isn't sent stays queued for next time
            log.warning(
                "statistics left queued at shutdown: %s",
                exc if isinstance(exc, BrokerError) else type(exc).__name__,
            )
        finally:
            if link is not None and self.syncer is not None:
                link.close(self.syncer.status(False))
