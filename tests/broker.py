"""Test helpers around the private Mosquitto: a listener with the dashboard's account."""

from __future__ import annotations

import json
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from provisioning.localbroker import ORG, PASSWORDS, Broker, make_broker

__all__ = ["ORG", "PASSWORDS", "Broker", "Listener", "make_broker"]


class Listener:
    """The dashboard account, subscribed with QoS 1 and a persistent session: what arrived."""

    def __init__(
        self, broker: Broker, topic: str = f"hemassist/v1/{ORG}/#", client_id: str = "test-listener"
    ) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        client.tls_set(ca_certs=str(broker.ca_file))
        client.username_pw_set("dashboard", PASSWORDS["dashboard"])
        client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        client.on_subscribe = lambda c, u, mid, rcs, p: self._subscribed.set()
        client.on_message = self._on_message
        client.reconnect_delay_set(0.1, 0.5)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600  # the session (and its queue) outlives a restart
        client.connect("127.0.0.1", broker.port, clean_start=False, properties=props)
        client.loop_start()
        self.client = client
        if not self._subscribed.wait(10):
            raise RuntimeError("the listener could not subscribe")

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))

    def payloads(self, suffix: str = "/stats") -> list[bytes]:
        with self._lock:
            return [p for t, p, _ in self.messages if t.endswith(suffix)]

    def wait_for(self, count: int, timeout: float = 30, suffix: str = "/stats") -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.payloads(suffix)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        return self.payloads(suffix)

    def wait_for_distinct(self, count: int, timeout: float = 30) -> list[bytes]:
        """Like wait_for, but counting distinct sequence numbers: after a reconnect the broker
        delivers duplicates, and counting them would stop waiting before the last ones came."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.payloads()
            if len({json.loads(p)["seq"] for p in got}) >= count:
                return got
            time.sleep(0.05)
        return self.payloads()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
