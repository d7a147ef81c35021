"""The MQTT link to the municipal broker (the only module that imports paho-mqtt).

One connection, driven by the caller's thread with ``poll`` (no paho background thread, no
automatic reconnect: the caller decides when to retry, with jittered backoff). MQTT 5 with a
stable client id, ``clean_start=False`` on every connect (paho's default would start clean the
first time) and a session that outlives the connection; QoS 1; a retained Last Will.
"""

from __future__ import annotations

import ssl
import stat
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from device.bounded import InputError, read_toml
from device.settings import TelemetrySettings

SESSION_EXPIRY_S = 7 * 24 * 3600
MAX_HELD = 4  # received messages held between two calls of ``received``
# "denied": the broker refused a message (its ACL); retrying won't help, IT must fix the ACL.
ErrorKind = Literal["config", "unreachable", "tls", "auth", "refused", "denied", "disconnected"]


class BrokerError(Exception):
    """Talking to the broker failed; ``kind`` says how, the message says what to check."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class BrokerConfig:
    host: str
    port: int
    tls: bool
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    username: str = ""
    password: str = ""
    keepalive_s: int = 60
    connect_timeout_s: float = 10.0

    @staticmethod
    def from_settings(settings: TelemetrySettings) -> BrokerConfig:
        url = urlsplit(settings.broker_url)
        if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
            raise BrokerError(
                "config",
                "telemetry.broker_url must look like mqtts://broker.example:8883 "
                f"(it is {settings.broker_url or 'empty'!r})",
            )
        tls = url.scheme == "mqtts"
        username, password = settings.username, settings.password.get_secret_value()
        if settings.secrets_file is not None:
            username, password = _read_secrets(settings.secrets_file)
        for name in ("ca_file", "cert_file", "key_file"):
            path = getattr(settings, name)
            if path is not None and not path.is_file():
                raise BrokerError("config", f"telemetry.{name}: {path} does not exist")
        return BrokerConfig(
            host=url.hostname,
            port=url.port or (8883 if tls else 1883),
            tls=tls,
            ca_file=settings.ca_file,
            cert_file=settings.cert_file,
            key_file=settings.key_file,
            username=username,
            password=password,
            keepalive_s=settings.keepalive_s,
            connect_timeout_s=settings.connect_timeout_s,
        )


def _read_secrets(path: Path) -> tuple[str, str]:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise BrokerError(
                "config",
                f"secrets file {path} can be read by others (mode {mode:04o}); "
                f"run: chmod 600 {path}",
            )
        data = read_toml(path)
    except (OSError, tomllib.TOMLDecodeError, InputError) as exc:
        raise BrokerError("config", f"secrets file {path} can't be read: {exc}") from None
    return str(data.get("username", "")), str(data.get("password", ""))


def make_client(config: BrokerConfig, client_id: str) -> mqtt.Client:
    """An MQTT 5 client with TLS (verifying the broker) and credentials from ``config``."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    if config.tls:
        client.tls_set(
            ca_certs=str(config.ca_file) if config.ca_file else None,
            certfile=str(config.cert_file) if config.cert_file else None,
            keyfile=str(config.key_file) if config.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    if config.username:
        client.username_pw_set(config.username, config.password or None)
    return client


class MqttLink:
    """A connection that publishes with QoS 1 and reports which messages the broker acked."""

    def __init__(
        self, config: BrokerConfig, client_id: str, will: tuple[str, bytes] | None
    ) -> None:
        self.config = config
        client = make_client(config, client_id)
        if will is not None:
            client.will_set(will[0], will[1], qos=1, retain=True)
        client.max_inflight_messages_set(1000)  # our own window is smaller; never queue in paho
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._client = client
        self._connack: ReasonCode | None = None
        self._connected = False
        self._acked: list[int] = []
        self.refused: list[int] = []  # publishes the broker refused (e.g. by its ACL)
        self.reasons: dict[int, str] = {}  # their MQTT reason, e.g. "Not authorized"
        self._topics: dict[int, str] = {}  # unacknowledged publishes' topics, to name them
        self._subscribing: dict[int, str] = {}
        self._sub_refused: str | None = None
        self._received: list[tuple[str, bytes]] = []

    @property
    def connected(self) -> bool:
        return self._connected

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        self._connack = reason
        self._connected = not reason.is_failure

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: object,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        self._connected = False

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason: ReasonCode,
        properties: object,
    ) -> None:
        topic = self._topics.pop(mid, "")
        if not reason.is_failure:
            self._acked.append(mid)
        else:
            self.refused.append(mid)
            self.reasons[mid] = f"{reason} (MQTT reason code {reason.value}) on {topic}"

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reasons: list[ReasonCode],
        properties: object,
    ) -> None:
        topic = self._subscribing.pop(mid, "")
        failed = [r for r in reasons if r.is_failure]
        if failed:
            self._sub_refused = (
                f"{failed[0]} (MQTT reason code {failed[0].value}) for a subscription to {topic}"
            )

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        # Only the newest few are kept: each one replaces the last anyway (care data).
        self._received = [*self._received[-(MAX_HELD - 1) :], (msg.topic, bytes(msg.payload))]

    def connect(self) -> None:
        """Connect and wait for the broker's answer; raises BrokerError saying what to check."""
        where = f"{self.config.host}:{self.config.port}"
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        try:
            self._client.connect(
                self.config.host,
                self.config.port,
                self.config.keepalive_s,
                clean_start=False,
                properties=props,
            )
        except ssl.SSLCertVerificationError as exc:
            raise BrokerError(
                "tls",
                f"the broker at {where} has a certificate that is not trusted "
                f"({exc.verify_message}); check telemetry.ca_file",
            ) from None
        except ssl.SSLError as exc:
            raise BrokerError(
                "tls", f"TLS with the broker at {where} failed: {exc.reason}"
            ) from None
        except (TimeoutError, OSError) as exc:
            raise BrokerError(
                "unreachable", f"can't reach the broker at {where}: {exc.strerror or exc}"
            ) from None
        deadline = time.monotonic() + self.config.connect_timeout_s
        while self._connack is None and time.monotonic() < deadline:
            if self._client.loop(0.05) != mqtt.MQTT_ERR_SUCCESS and self._connack is None:
                raise BrokerError(
                    "refused",
                    f"the broker at {where} closed the connection while connecting "
                    "(client certificate refused or not accepted?)",
                )
        if self._connack is None:
            self._client.disconnect()
            raise BrokerError("unreachable", f"the broker at {where} did not answer in time")
        if self._connack.is_failure:
            name = str(self._connack)
            kind: ErrorKind = "auth" if self._connack.value in (134, 135) else "refused"
            raise BrokerError(
                kind,
                f"the broker at {where} refused the connection: {name} "
                "(check the user name, password or certificate)",
            )

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> int:
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            self._connected = False
            raise BrokerError("disconnected", "lost the connection to the broker")
        self._topics[int(info.mid)] = topic
        return int(info.mid)

    def denied(self, subscriptions: bool = True) -> BrokerError | None:
        """A publish (or subscription) the broker refused, said for IT (None when all were
        accepted so far)."""
        said = next((self.reasons[m] for m in self.refused if m in self.reasons), None)
        said = said or (self._sub_refused if subscriptions else None)
        if said is None:
            return None
        return BrokerError(
            "denied",
            f"the broker at {self.config.host}:{self.config.port} refused: {said}. Check the "
            f"broker's ACL for user {self.config.username or '(certificate)'} (docs/broker.md)",
        )

    def subscribe(self, topic: str) -> None:
        """QoS 1; what arrives is returned by ``received``."""
        result, mid = self._client.subscribe(topic, qos=1)
        if result != mqtt.MQTT_ERR_SUCCESS:
            self._connected = False
            raise BrokerError("disconnected", "lost the connection to the broker")
        self._subscribing[int(mid or 0)] = topic

    def received(self) -> list[tuple[str, bytes]]:
        """The messages (topic, payload) that arrived since the last call."""
        got, self._received = self._received, []
        return got

    def poll(self, timeout: float = 0.05) -> list[int]:
        """Network work for up to ``timeout`` s; returns the ids acked since the last call."""
        if self._client.loop(timeout) != mqtt.MQTT_ERR_SUCCESS or not self._connected:
            self._connected = False
            raise BrokerError("disconnected", "lost the connection to the broker")
        acked, self._acked = self._acked, []
        return acked

    def close(self, last_words: tuple[str, bytes] | None = None) -> None:
        """Say goodbye (a retained offline status) and disconnect; never raises."""
        try:
            if self._connected and last_words is not None:
                info = self._client.publish(last_words[0], last_words[1], qos=1, retain=True)
                deadline = time.monotonic() + 2
                while not info.is_published() and time.monotonic() < deadline:
                    self._client.loop(0.05)
            self._client.disconnect()
            self._client.loop(0.05)
        except (OSError, ValueError, RuntimeError):
            pass  # the connection is gone already: nothing more to say
        finally:
            self._connected = False


def client_id_for(device_id: str) -> str:
    """Stable across restarts, so the broker keeps the device's session."""
    return f"hemassist-{device_id}"
