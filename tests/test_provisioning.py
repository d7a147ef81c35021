"""Provisioning for IT: init, fleet (with a real Mosquitto enforcing the ACL it writes), TLS with
client certificates, revocation, self-test, the systemd unit, and wipe."""

from __future__ import annotations

import json
import stat
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from device.cli import main
from device.settings import load_settings
from provisioning.fleet import read_inventory
from provisioning.identity import ProvisionError
from provisioning.localbroker import make_broker
from provisioning.pki import issue, load
from tests.conftest import EXAMPLE

BAD_IDS = ["dev+1", "dev#1", "dev/1", "Dev-1", "DEV", "dev 1", "-dev", "dev-", "", "å-1"]


def _init_args(config_dir: Path, device_id: str = "majorna-07") -> list[str]:
    return [
        "provision",
        "init",
        f"--device-id={device_id}",
        "--org",
        "goteborg",
        "--team",
        "majorna-2",
        "--broker-url",
        "mqtts://broker.example:8883",
        "--new-password",
        "--config-dir",
        str(config_dir),
    ]


def test_init_writes_settings_secrets_and_key(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    isolated_env: Path,
) -> None:
    config = tmp_path / "etc"
    assert main(_init_args(config)) == 0
    out = capsys.readouterr().out
    assert "majorna-07:$7$101$" in out  # the broker's password-file line, not the password
    assert stat.S_IMODE((config / "secrets.toml").stat().st_mode) == 0o600
    assert stat.S_IMODE((isolated_env / "care.key").stat().st_mode) == 0o600
    monkeypatch.setenv("HEMASSIST_CONFIG", str(config / "site.toml"))
    settings = load_settings()
    assert (settings.device.id, settings.device.org, settings.device.team) == (
        "majorna-07",
        "goteborg",
        "majorna-2",
    )
    assert settings.telemetry.secrets_file == config / "secrets.toml"
    # A second init does not silently replace the first.
    monkeypatch.delenv("HEMASSIST_CONFIG")
    assert main(_init_args(config)) == 1
    assert "exists already" in capsys.readouterr().err


@pytest.mark.parametrize("bad", BAD_IDS)
def test_init_refuses_bad_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    assert main(_init_args(tmp_path / "etc", bad)) == 1
    assert "not valid" in capsys.readouterr().err
    assert not (tmp_path / "etc").exists()


def _inventory(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "inventory.csv"
    path.write_text("device_id,team,language,worker\n" + "\n".join(lines) + "\n")
    return path


def test_fleet_with_bad_rows_names_them_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = _inventory(
        tmp_path,
        [
            "good-1,majorna-2,sv,",
            "dev/2,majorna-2,sv,",
            "good-3,Majorna,sv,",
            "good-1,majorna-2,sv,",
            "good-5,majorna-2,fi,",
            "dev+6,majorna-2,,",
        ],
    )
    out = tmp_path / "fleet"
    assert (
        main(
            [
                "provision",
                "fleet",
                str(inventory),
                "--org",
                "goteborg",
                "--broker-url",
                "mqtts://b:8883",
                "--out",
                str(out),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    for line in ("line 3", "line 4", "line 5", "line 6", "line 7"):
        assert line in err
    assert "line 2:" not in err and "nothing written" in err
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["inventory.csv"]


@pytest.mark.parametrize("bad", BAD_IDS[:5])
def test_fleet_refuses_bad_ids(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ProvisionError, match="line 2"):
        read_inventory(_inventory(tmp_path, [f"{bad},team-a,sv,"]))


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    inventory = _inventory(tmp_path, ["dev-a,team-1,sv,", "dev-b,team-1,sv,", "dev-c,team-2,en,"])
    out = tmp_path / "fleet"
    assert (
        main(
            [
                "provision",
                "fleet",
                str(inventory),
                "--org",
                "goteborg",
                "--broker-url",
                "mqtts://127.0.0.1:8883",
                "--out",
                str(out),
                "--client-certs",
                "--broker-host",
                "127.0.0.1",
            ]
        )
        == 0
    )
    return out


def _secret(path: Path) -> tuple[str, str]:
    import tomllib

    data = tomllib.loads(path.read_text())
    return data["username"], data["password"]


class Client:
    """A connected MQTT 5 client that reports PUBACK and SUBACK reason codes."""

    def __init__(
        self,
        port: int,
        ca: Path,
        user: str,
        password: str,
        cert: tuple[Path, Path] | None = None,
        wait: float = 5,
    ) -> None:
        self.acks: dict[int, int] = {}
        self.granted: list[int] = []
        self.messages: list[str] = []
        self.connected: int | None = None
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"t-{user}-{time.monotonic_ns()}",
            protocol=mqtt.MQTTv5,
        )
        c.tls_set(
            ca_certs=str(ca),
            certfile=str(cert[0]) if cert else None,
            keyfile=str(cert[1]) if cert else None,
        )
        c.username_pw_set(user, password)
        c.on_connect = lambda cl, u, f, rc, p: setattr(self, "connected", rc.value)
        c.on_publish = lambda cl, u, mid, rc, p: self.acks.__setitem__(mid, rc.value)
        c.on_subscribe = lambda cl, u, mid, rcs, p: self.granted.extend(r.value for r in rcs)
        c.on_message = lambda cl, u, m: self.messages.append(m.topic)
        self.client = c
        c.connect("127.0.0.1", port)
        c.loop_start()
        deadline = time.monotonic() + wait
        while self.connected is None and time.monotonic() < deadline:
            time.sleep(0.02)

    def publish(self, topic: str) -> int:
        info = self.client.publish(topic, b"{}", qos=1)
        deadline = time.monotonic() + 5
        while info.mid not in self.acks and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.acks.get(info.mid, -1)

    def subscribe(self, topic: str) -> int:
        before = len(self.granted)
        self.client.subscribe(topic, qos=1)
        deadline = time.monotonic() + 5
        while len(self.granted) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.granted[-1]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _fleet_broker(fleet: Path, workdir: Path, extra: list[str] | None = None) -> Any:
    broker = make_broker(
        workdir,
        extra,
        ca=load(fleet / "ca/ca.pem", fleet / "ca/ca.key"),
        passwd=(fleet / "broker/passwd").read_text(),
        acl=(fleet / "broker/acl").read_text(),
    )
    broker.start()
    return broker


OK, DENIED = 0, 135  # MQTT 5 reason codes: success, not authorised
A, B, C, DASH = "dev-a", "dev-b", "dev-c", "dashboard"
T = "hemassist/v1/goteborg"

# Publishing: the broker's PUBACK reason code says whether the message was accepted.
PUBLISH_MATRIX = [
    (A, f"{T}/dev-a/stats", OK),
    (A, f"{T}/dev-a/status", OK),
    (A, f"{T}/dev-a/stats/extra", OK),
    (A, f"{T}/dev-b/stats", DENIED),
    (A, f"{T}/dev-b/status", DENIED),
    (A, f"{T}/dev-c/stats", DENIED),
    (A, f"{T}/dev-aa/stats", DENIED),
    (A, f"{T}/stats", DENIED),
    (A, "hemassist/v1/malmo/dev-a/stats", DENIED),
    (A, "hemassist/v2/goteborg/dev-a/stats", DENIED),
    (A, "other/topic", DENIED),
    (B, f"{T}/dev-b/stats", OK),
    (B, f"{T}/dev-a/stats", DENIED),
    (C, f"{T}/dev-c/status", OK),
    (C, f"{T}/dev-a/status", DENIED),
    (DASH, f"{T}/dev-a/stats", DENIED),
    (DASH, f"{T}/dashboard/stats", DENIED),
    (DASH, f"{T}/dev-a/status", DENIED),
    (DASH, "other/topic", DENIED),
]
# Reading: Mosquitto checks read access when it delivers, so each case subscribes, has a device
# publish a probe where it may, and looks at what arrived.
READ_MATRIX = [
    (A, f"{T}/#", B, f"{T}/dev-b/stats", False),
    (A, f"{T}/dev-a/stats", A, f"{T}/dev-a/stats", False),
    (A, f"{T}/dev-b/stats", B, f"{T}/dev-b/stats", False),
    (A, "#", C, f"{T}/dev-c/stats", False),
    (B, "hemassist/#", A, f"{T}/dev-a/status", False),
    (C, f"{T}/+/status", A, f"{T}/dev-a/status", False),
    (DASH, f"{T}/#", A, f"{T}/dev-a/stats", True),
    (DASH, f"{T}/+/stats", B, f"{T}/dev-b/stats", True),
    (DASH, f"{T}/dev-a/status", A, f"{T}/dev-a/status", True),
    (DASH, f"{T}/dev-c/#", C, f"{T}/dev-c/stats", True),
]


def test_acl_matrix_against_a_real_mosquitto(fleet: Path, tmp_path: Path) -> None:
    broker = _fleet_broker(fleet, tmp_path / "broker")
    ca = fleet / "ca/ca.pem"
    accounts = {who: _secret(fleet / f"devices/{who}/secrets.toml") for who in (A, B, C)}
    accounts[DASH] = _secret(fleet / "dashboard/secrets.toml")
    clients = {who: Client(broker.port, ca, *account) for who, account in accounts.items()}
    wrong = []
    try:
        assert all(c.connected == 0 for c in clients.values())
        for who, topic, expected in PUBLISH_MATRIX:
            got = clients[who].publish(topic)
            if (OK if got in (0, 16) else got) != expected:  # 16: accepted, nobody subscribed
                wrong.append(("publish", who, topic))
        for who, pattern, prober, probe, expected in READ_MATRIX:
            reader = Client(broker.port, ca, *accounts[who])
            reader.subscribe(pattern)
            assert clients[prober].publish(probe) in (0, 16)
            time.sleep(0.2)
            if (probe in reader.messages) != expected:
                wrong.append(("read", who, pattern))
            reader.close()
        assert wrong == []
        assert len(PUBLISH_MATRIX) + len(READ_MATRIX) >= 29
        refused = Client(broker.port, ca, A, "not-the-password")
        assert refused.connected in (134, 135)  # bad user name or password / not authorised
        refused.close()
    finally:
        for client in clients.values():
            client.close()
        broker.stop()


def _refused(port: int, ca: Path, user: str, password: str, cert: tuple[Path, Path] | None) -> bool:
    """The broker would not accept this client: TLS failed, or no successful CONNACK came."""
    try:
        client = Client(port, ca, user, password, cert, wait=1.5)
    except OSError:
        return True  # ssl.SSLError is an OSError: refused in the handshake
    accepted = client.connected == 0
    client.close()
    return not accepted


def test_client_certificates_wrong_ca_expired_missing_and_revoked(
    fleet: Path, tmp_path: Path
) -> None:
    from provisioning.pki import make_ca

    crl = fleet / "ca/crl.pem"
    broker = _fleet_broker(
        fleet, tmp_path / "broker", ["require_certificate true", f"crlfile {crl}"]
    )
    ca = fleet / "ca/ca.pem"
    user, password = _secret(fleet / "devices/dev-a/secrets.toml")
    cert = (fleet / "devices/dev-a/client.pem", fleet / "devices/dev-a/client.key")
    fleet_ca = load(ca, fleet / "ca/ca.key")
    expired = issue(
        fleet_ca, "dev-a", client=True, not_before=datetime.now(UTC) - timedelta(days=30), days=1
    )
    expired.write(tmp_path / "old.pem", tmp_path / "old.key")
    issue(make_ca("someone else"), "dev-a", client=True).write(
        tmp_path / "x.pem", tmp_path / "x.key"
    )
    try:
        assert not _refused(broker.port, ca, user, password, cert)
        assert _refused(broker.port, ca, user, password, None)  # no client certificate
        assert _refused(
            broker.port, ca, user, password, (tmp_path / "old.pem", tmp_path / "old.key")
        )  # expired
        assert _refused(
            broker.port, ca, user, password, (tmp_path / "x.pem", tmp_path / "x.key")
        )  # another CA
    finally:
        broker.stop()
    # Revoked: after `provision revoke` the broker, restarted with the new CRL, refuses it.
    assert main(["provision", "revoke", str(cert[0]), "--ca-dir", str(fleet / "ca")]) == 0
    broker.start()
    try:
        assert _refused(broker.port, ca, user, password, cert)
    finally:
        broker.stop()


def test_install_service_writes_a_hardened_unit(tmp_path: Path) -> None:
    out = tmp_path / "hemassist.service"
    assert main(["provision", "install-service", "--out", str(out)]) == 0
    unit = out.read_text()
    for line in (
        "Restart=on-failure",
        "User=hemassist",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "ProtectHome=true",
        "CapabilityBoundingSet=",
        "ExecStart=",
        " run",
        "HEMASSIST_CONFIG=/etc/hemassist/site.toml",
    ):
        assert line in unit


def test_wipe_leaves_no_readable_care_data(
    isolated_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEMASSIST_DEVICE__ID", "majorna-07")
    monkeypatch.setenv("HEMASSIST_DEVICE__ORG", "goteborg")
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    assert main(["ask", "--text", "Var bor Greta?"]) == 0
    assert main(["provision", "wipe"]) == 1  # asks for --yes
    assert main(["provision", "wipe", "--yes"]) == 0
    files = {p.name: p.read_bytes() for p in isolated_env.iterdir() if p.is_file()}
    assert set(files) == {"wiped.json"}
    record = json.loads(files["wiped.json"])
    assert record["device_id"] == "majorna-07" and "wiped_at" in record
    capsys.readouterr()
    assert main(["ask", "--text", "Var bor Greta?", "--json"]) == 0
    assert "Karl Johansgatan" not in capsys.readouterr().out


def test_selftest_passes_on_a_provisioned_device(
    device_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {
        "LANGUAGE": "en",
        "SPEECH__ENGINE": "whisper",
        "SPEECH__WHISPER_MODEL": "whisper-base",
        "SPEECH__WHISPER_LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(f"HEMASSIST_{key}", value)
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    capsys.readouterr()
    assert main(["provision", "selftest"]) == 0
    out = capsys.readouterr().out
    assert "7 of 7 checks passed" in out and "FAIL" not in out
    # Which models are in use, and which configured ones are missing.
    assert "speech-to-text: whisper-base" in out and "llm: none" in out
    assert "voice-sv: espeak-ng:sv" in out and "piper-sv-nst is not installed" in out


def test_selftest_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["provision", "selftest"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  settings" in out and "FAIL  care data" in out and "FAIL  broker" in out
    assert "PASS  clock" in out
