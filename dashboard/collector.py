"""The collector: subscribes to hemassist/v1/<org>/# with QoS 1 and a persistent session, and
stores what arrives. A message is acknowledged to the broker only after it is committed (paho's
manual acks), so a crash between receipt and storage loses nothing: the broker sends it again.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from dashboard.storage import Incoming, IngestResult, Storage
from device.telemetry.mqtt import BrokerConfig, make_client

log = logging.getLogger("hemassist.collector")
SESSION_EXPIRY_S = 7 * 24 * 3600
BACKOFF_FIRST_S, BACKOFF_MAX_S = 1.0, 60.0  # waits while the database can't store


@dataclass
class CollectorStats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0


class Collector:
    def __init__(
        self,
        storage: Storage,
        config: BrokerConfig,
        org: str,
        client_id: str = "hemassist-dashboard",
        batch: int = 500,
        flush_s: float = 0.2,
    ) -> None:
        self.storage = storage
        self.topic = f"hemassist/v1/{org}/#"
        self.stats = CollectorStats()
        self._batch, self._flush_s = batch, flush_s
        self._queue: queue.Queue[tuple[int, Incoming]] = queue.Queue()
        self._retry: deque[tuple[int, Incoming]] = deque()  # a batch storage couldn't take
        self._failures = 0  # failed tries in a row; the page reads storage.collector_problem
        self._stop = threading.Event()
        self.subscribed = threading.Event()
        self.refused: str | None = None  # why the broker said no, for the log and the console
        client = make_client(config, client_id)
        client.manual_ack_set(True)
        client.reconnect_delay_set(1, 60)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        self._client = client
        self._config = config
        self._writer = threading.Thread(target=self._write_loop, name="collector", daemon=True)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason: object,
        properties: object,
    ) -> None:
        if getattr(reason, "is_failure", False):
            self.refused = (
                f"the broker refused the collector's connection: {reason} (MQTT reason code "
                f"{getattr(reason, 'value', '?')}); check dashboard.secrets_file, ca_file and "
                "cert_file"
            )
            log.error("%s", self.refused)
            return
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: object, mid: int, codes: list[Any], props: object
    ) -> None:
        refused = [c for c in codes if getattr(c, "is_failure", False)]
        if refused:  # otherwise the page would wait for statistics that never come
            self.refused = (
                f"the broker refused the collector's subscription to {self.topic}: "
                f"{refused[0]} (MQTT reason code {refused[0].value}); check the broker's ACL "
                "(the dashboard account needs `topic read hemassist/v1/<org>/#`, docs/broker.md)"
            )
            log.error("%s", self.refused)
            return
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self._queue.put((msg.mid, Incoming(msg.topic, bytes(msg.payload))))

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self._client.connect_async(
            self._config.host,
            self._config.port,
            self._config.keepalive_s,
            clean_start=False,
            properties=props,
        )
        self._client.loop_start()
        self._writer.start()

    def stop(self) -> None:
        self._stop.set()
        self._writer.join(5)
        self._client.loop_stop()
        self._client.disconnect()

    def _write_loop(self) -> None:
        while not self._stop.is_set() or (not self._queue.empty() and not self._retry):
            pending: list[tuple[int, Incoming]] = []
            while self._retry and len(pending) < self._batch:
                pending.append(self._retry.popleft())
            deadline = time.monotonic() + self._flush_s
            while len(pending) < self._batch:
                try:
                    pending.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            if not pending:
                continue
            try:
                result = self.storage.ingest([item for _, item in pending])
            except Exception as exc:  # storage down: don't ack; retry the same batch later
                self._storage_down(exc, len(pending))
                for entry in pending:  # back in the queue, in order, before anything newer
                    self._retry.append(entry)
                continue
            self._storage_up()
            self._count(result, len(pending))
            for mid, _ in pending:
                if mid:  # QoS 0 messages (mid 0) need no ack
                    self._client.ack(mid, 1)

    def _storage_down(self, exc: Exception, count: int) -> None:
        """Log (the exception's type: a database message may quote a payload), tell the page,
        and wait, longer each time up to BACKOFF_MAX_S."""
        if self.storage.collector_problem is None:
            log.error(
                "the database can't store statistics (%s); %d messages wait, unacknowledged",
                type(exc).__name__,
                count,
            )
            self.storage.collector_problem = datetime.now(UTC)
        delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**self._failures)
        self._failures += 1
        self._stop.wait(delay * random.uniform(0.8, 1.2))

    def _storage_up(self) -> None:
        if self.storage.collector_problem is not None:
            log.warning("the database stores statistics again")
        self.storage.collector_problem = None
        self._failures = 0

    def _count(self, result: IngestResult, received: int) -> None:
        self.stats.received += received
        self.stats.stored += result.stored
        self.stats.duplicates += result.duplicates
        self.stats.rejected += result.rejected
