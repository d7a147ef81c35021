"""The collector: subscribes to hemassist/v1/<org>/# with QoS 1 and a persistent session, and
stores what arrives. A message is acknowledged to the broker only after it is committed (paho's
manual acks), so a crash between receipt and storage loses nothing: the broker sends it again.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from dashboard.storage import Incoming, IngestResult, Storage
from device.telemetry.mqtt import BrokerConfig, make_client

log = logging.getLogger("hemassist.collector")
SESSION_EXPIRY_S = 7 * 24 * 3600


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
        self._stop = threading.Event()
        self.subscribed = threading.Event()
        client = make_client(config, client_id)
        client.manual_ack_set(True)
        client.reconnect_delay_set(1, 60)
        client.on_connect = self._on_connect
        client.on_subscribe = lambda c, u, mid, codes, p: self.subscribed.set()
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
            log.error("the broker refused the collector: %s", reason)
            return
        client.subscribe(self.topic, qos=1)

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
        while not self._stop.is_set() or not self._queue.empty():
            pending: list[tuple[int, Incoming]] = []
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
            except Exception as exc:  # storage down: don't ack, the broker will resend
                log.error("could not store %d messages: %s", len(pending), exc)
                time.sleep(1)
                continue
            self._count(result, len(pending))
            for mid, _ in pending:
                if mid:  # QoS 0 messages (mid 0) need no ack
                    self._client.ack(mid, 1)

    def _count(self, result: IngestResult, received: int) -> None:
        self.stats.received += received
        self.stats.stored += result.stored
        self.stats.duplicates += result.duplicates
        self.stats.rejected += result.rejected
