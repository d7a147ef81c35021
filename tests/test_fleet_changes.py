"""A fleet grows and shrinks (`provision fleet add` / `fleet remove`), against a real Mosquitto
with the files the commands write; retiring a device's own files (`wipe`); certificates for IT's
accounts, a revocation list that is renewed, and `revoke` refusing another CA's certificate."""

from __future__ import annotations

import os
import shutil
import stat
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from device.cli import main
from device.settings import load_settings
from provisioning.localbroker import Broker
from provisioning.pki import issue, load, make_ca
from tests.conftest import EXAMPLE
from tests.test_delivery import SECOND, broker, fleet, in_use, publish, receive, use_device
from tests.test_provisioning import Client, _fleet_broker, _inventory, _secret

__all__ = ["broker", "fleet"]  # the fixtures of tests/test_delivery.py, used here too


def _restart_with(broker: Broker, fleet: Path) -> None:
    """IT installs the new passwd and ACL and restarts Mosquitto."""
    broker.passwd = (fleet / "broker/passwd").read_text()
    broker.acl = (fleet / "broker/acl").read_text()
    broker.stop()
    broker.write_files()
    broker.start()


def test_a_device_added_gets_care_data_and_a_removed_one_nothing(
    fleet: Path,
    broker: Broker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add = ["provision", "fleet", "add", "dev-e", "--team", "team-1", "--fleet", str(fleet)]
    assert main([*add, "--button"]) == 0
    folder = fleet / "devices/dev-e"
    assert (folder / "ca.pem").read_bytes() == (fleet / "ca/ca.pem").read_bytes()  # same CA
    site = tomllib.loads((folder / "site.toml").read_text())
    assert site["trigger"]["mode"] == "gpio"
    assert (
        site["delivery"]["publisher_key"] == (fleet / "publisher/publisher.pub").read_text().strip()
    )
    assert stat.S_IMODE((folder / "care.key").stat().st_mode) == 0o600
    assert "\ndev-e:$7$" in "\n" + (fleet / "broker/passwd").read_text()
    assert "user dev-e\n" in (fleet / "broker/acl").read_text()
    assert 'dev-e = "team-1"' in (fleet / "dashboard/fleet.toml").read_text()
    assert main(add) == 1 and "in the fleet already" in capsys.readouterr().err
    _restart_with(broker, fleet)
    assert publish(fleet, broker, EXAMPLE) == 0
    assert "to 4 of 4 devices" in capsys.readouterr().out
    assert receive(monkeypatch, fleet, broker, "dev-e") == 0
    assert in_use(load_settings()) == "example-majorna-2026-11-24"

    kept = tmp_path / "stolen-dev-e"  # what the lost device still holds
    shutil.copytree(folder, kept)
    monkeypatch.delenv("HEMASSIST_CONFIG")
    assert main(["provision", "fleet", "remove", "dev-e", "--fleet", str(fleet)]) == 0
    assert "restart mosquitto" in capsys.readouterr().out
    assert not folder.exists()
    assert "dev-e" not in (fleet / "broker/passwd").read_text()
    assert "dev-e" not in (fleet / "broker/acl").read_text()
    assert "dev-e" not in (fleet / "dashboard/fleet.toml").read_text()
    assert "user dev-a\n" in (fleet / "broker/acl").read_text()  # the others stay
    _restart_with(broker, fleet)
    assert publish(fleet, broker, SECOND) == 0
    assert "to 3 of 3 devices" in capsys.readouterr().out
    # Its account is closed: the device can't even log in.
    use_device(monkeypatch, fleet, broker, "dev-a")
    monkeypatch.setenv("HEMASSIST_TELEMETRY__SECRETS_FILE", str(kept / "secrets.toml"))
    monkeypatch.setenv("HEMASSIST_DELIVERY__KEY_FILE", str(kept / "care.key"))
    monkeypatch.setenv("HEMASSIST_DEVICE__ID", "dev-e")
    assert main(["provision", "data", "receive", "--once"]) == 1
    assert "refused the connection" in capsys.readouterr().err
    assert main(["provision", "fleet", "remove", "dev-e", "--fleet", str(fleet)]) == 1
    assert "not in the fleet" in capsys.readouterr().err


@pytest.fixture
def cert_fleet(tmp_path: Path) -> Path:
    inventory = _inventory(tmp_path, ["dev-a,team-1,sv,", "dev-b,team-1,sv,"])
    out = tmp_path / "fleet"
    args = ["provision", "fleet", str(inventory), "--org", "goteborg", "--out", str(out)]
    assert main([*args, "--broker-url", "mqtts://127.0.0.1:8883", "--client-certs"]) == 0
    return out


def test_client_certificates_for_the_collector_the_publisher_and_an_added_device(
    cert_fleet: Path, tmp_path: Path
) -> None:
    assert (
        main(["provision", "fleet", "add", "dev-c", "--team", "t", "--fleet", str(cert_fleet)]) == 0
    )
    crl = cert_fleet / "ca/crl.pem"
    broker = _fleet_broker(
        cert_fleet, tmp_path / "b", ["require_certificate true", f"crlfile {crl}"]
    )
    ca = cert_fleet / "ca/ca.pem"
    try:
        for who, folder in (
            ("dashboard", cert_fleet / "dashboard"),
            ("care-publisher", cert_fleet / "publisher"),
            ("dev-c", cert_fleet / "devices/dev-c"),
        ):
            user, password = _secret(folder / "secrets.toml")
            assert user == who
            client = Client(
                broker.port, ca, user, password, (folder / "client.pem", folder / "client.key")
            )
            assert client.connected == 0, who
            client.close()
    finally:
        broker.stop()
    # Removing a device with a certificate revokes it.
    serial = x509.load_pem_x509_certificate(
        (cert_fleet / "devices/dev-c/client.pem").read_bytes()
    ).serial_number
    assert main(["provision", "fleet", "remove", "dev-c", "--fleet", str(cert_fleet)]) == 0
    revoked = x509.load_pem_x509_crl(crl.read_bytes())
    assert revoked.get_revoked_certificate_by_serial_number(serial) is not None


def test_the_revocation_list_is_renewed_with_its_serials(
    cert_fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca_dir = cert_fleet / "ca"
    cert = cert_fleet / "devices/dev-a/client.pem"
    assert main(["provision", "revoke", str(cert), "--ca-dir", str(ca_dir)]) == 0
    assert "--refresh" in capsys.readouterr().out  # says when and how to renew it
    before = x509.load_pem_x509_crl((ca_dir / "crl.pem").read_bytes())
    assert main(["provision", "revoke", "--refresh", "--ca-dir", str(ca_dir)]) == 0
    after = x509.load_pem_x509_crl((ca_dir / "crl.pem").read_bytes())
    assert after.next_update_utc is not None and before.next_update_utc is not None
    assert after.next_update_utc >= before.next_update_utc
    assert after.next_update_utc > datetime.now(UTC) + timedelta(days=29)
    serial = x509.load_pem_x509_certificate(cert.read_bytes()).serial_number
    assert after.get_revoked_certificate_by_serial_number(serial) is not None
    assert main(["provision", "revoke", "--ca-dir", str(ca_dir)]) == 1  # neither: says so


def test_revoke_refuses_a_certificate_of_another_ca_with_the_same_name(
    cert_fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    impostor = make_ca("hemassist goteborg CA")  # the fleet CA's very name, another key
    issue(impostor, "dev-a", client=True).write(tmp_path / "x.pem", tmp_path / "x.key")
    before = (cert_fleet / "ca/crl.pem").read_bytes()
    assert (
        main(["provision", "revoke", str(tmp_path / "x.pem"), "--ca-dir", str(cert_fleet / "ca")])
        == 1
    )
    assert "not issued by the CA" in capsys.readouterr().err
    assert (cert_fleet / "ca/crl.pem").read_bytes() == before
    assert load(cert_fleet / "ca/ca.pem", cert_fleet / "ca/ca.key")  # the fleet's CA is intact


def test_wipe_erases_the_secrets_and_status_makes_no_new_key(
    fleet: Path,
    broker: Broker,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The device's /etc/hemassist, as IT copied it from the fleet folder.
    etc = tmp_path / "etc-hemassist"
    shutil.copytree(fleet / "devices/dev-a", etc)
    (etc / "client.key").write_text("a client key")
    (etc / "client.key").chmod(0o600)
    settings = use_device(monkeypatch, fleet, broker, "dev-a")
    monkeypatch.setenv("HEMASSIST_TELEMETRY__SECRETS_FILE", str(etc / "secrets.toml"))
    monkeypatch.setenv("HEMASSIST_TELEMETRY__KEY_FILE", str(etc / "client.key"))
    monkeypatch.setenv("HEMASSIST_DELIVERY__KEY_FILE", str(etc / "care.key"))
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    assert main(["provision", "wipe", "--yes"]) == 0
    for name in ("secrets.toml", "client.key", "care.key"):
        assert not (etc / name).exists(), name
    assert sorted(p.name for p in settings.data_dir.iterdir()) == ["wiped.json"]
    capsys.readouterr()
    assert main(["status"]) == 0
    assert '"wiped"' in capsys.readouterr().out
    assert main(["provision", "data", "status"]) == 0
    assert sorted(p.name for p in settings.data_dir.iterdir()) == ["wiped.json"]  # no new key


def test_init_gives_its_files_to_the_service_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_env: Path
) -> None:
    base = ["provision", "init", "--device-id", "dev-1", "--org", "goteborg", "--team", "t-1"]
    base += ["--broker-url", "mqtts://b.example:8883", "--new-password"]
    assert (
        main([*base, "--config-dir", str(tmp_path / "a"), "--service-user", "no-such-user-x"]) == 0
    )
    out = capsys.readouterr().out
    if os.geteuid() == 0:
        assert "useradd --system" in out and "chown no-such-user-x:" in out
        (isolated_env / "care.key").unlink()
        assert (
            main(
                [*base, "--config-dir", str(tmp_path / "b"), "--service-user", "nobody", "--button"]
            )
            == 0
        )
        for path in (tmp_path / "b/secrets.toml", isolated_env / "care.key", isolated_env):
            assert path.stat().st_uid == 65534, path  # nobody
        assert 'mode = "gpio"' in (tmp_path / "b/site.toml").read_text()


def test_install_service_without_a_gpio_group_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import provisioning.device

    monkeypatch.setattr(provisioning.device, "missing_groups", lambda: ["gpio"])
    assert main(["provision", "install-service", "--out", str(tmp_path)]) == 0  # a folder
    unit = (tmp_path / "hemassist.service").read_text()
    assert "SupplementaryGroups=audio\n" in unit
    assert "groupadd --system gpio" in capsys.readouterr().out
