"""The broker files `provision fleet` writes start a real Mosquitto: Debian's layout (its packaged
mosquitto.conf untouched, our file in conf.d), installed by following docs/broker.md's commands
word for word in a scratch root; and the standalone configuration alone. Devices then connect
with nothing but the files of their fleet folder (its ca.pem, the broker's certificate)."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.cli import main
from provisioning.localbroker import free_port
from tests.test_provisioning import Client, _secret

ROOT = Path(__file__).resolve().parent.parent
BROKER_MD = ROOT / "docs" / "broker.md"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
# Debian 12's /etc/mosquitto/mosquitto.conf (package mosquitto 2.0.11-1.2), as shipped.
DEBIAN_CONF = """\
# Place your local configuration in /etc/mosquitto/conf.d/
#
# A full description of the configuration file is at
# /usr/share/doc/mosquitto/examples/mosquitto.conf.example

pid_file /run/mosquitto/mosquitto.pid

persistence true
persistence_location /var/lib/mosquitto/

log_dest file /var/log/mosquitto/mosquitto.log

include_dir /etc/mosquitto/conf.d
"""
pytestmark = pytest.mark.skipif(not Path(MOSQUITTO).exists(), reason="mosquitto not installed")


def _as_mosquitto() -> bool:
    """Run as root, Mosquitto drops to its own user, as Debian's service does."""
    if os.geteuid() != 0:
        return False
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return False
    return True


@pytest.fixture
def root() -> Iterator[Path]:
    """A scratch "/" the mosquitto user can walk into (pytest's tmp folders are root's 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="hemassist-broker-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _fleet(tmp_path: Path, *extra: str) -> Path:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text("device_id,team\ndev-a,team-1\ndev-b,team-1\n")
    out = tmp_path / "fleet-2026-11"
    args = ["provision", "fleet", str(inventory), "--org", "goteborg", "--out", str(out)]
    assert main([*args, "--broker-url", "mqtts://127.0.0.1:8883", *extra]) == 0
    return out


def _debian(root: Path) -> None:
    """What `apt install mosquitto` leaves: its config, conf.d, and folders owned by mosquitto."""
    conf = DEBIAN_CONF.replace(" /", f" {root}/")
    (root / "etc/mosquitto/conf.d").mkdir(parents=True)
    (root / "etc/mosquitto/mosquitto.conf").write_text(conf)
    for folder in ("var/lib/mosquitto", "var/log/mosquitto", "run/mosquitto"):
        (root / folder).mkdir(parents=True)
        if _as_mosquitto():
            shutil.chown(root / folder, "mosquitto", "mosquitto")


def _steps(block: int) -> list[str]:
    """The commands of broker.md's ```sh block number ``block`` (comments dropped)."""
    blocks = re.findall(r"```sh\n(.*?)```", BROKER_MD.read_text(encoding="utf-8"), re.S)
    return [line.split("  #")[0].strip() for line in blocks[block].splitlines() if line.strip()]


def _run_steps(steps: list[str], root: Path, fleet: Path) -> None:
    """Each command as written, in the scratch root; starting the service is `_start`'s job."""
    for step in steps:
        if "systemctl" in step or "tail " in step:
            continue
        command = step.removeprefix("sudo ").replace("/etc/", f"{root}/etc/")
        command = command.replace("fleet-2026-11/", f"{fleet}/")
        if not _as_mosquitto():  # not root: install can't give files away
            command = command.replace(" -o root -g mosquitto", "")
        subprocess.run(["bash", "-euc", command], check=True)


def _start(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([MOSQUITTO, "-c", str(config)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                said = proc.stderr.read().decode() if proc.stderr else ""
                logged = log.read_text() if log.exists() else ""
                pytest.fail(f"mosquitto did not start:\n{said}\n{logged}")
            time.sleep(0.05)
    proc.terminate()
    pytest.fail("mosquitto did not open its port")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(10)


def _here(conf: Path, root: Path, port: int) -> None:
    """The installed file with the scratch root's paths and a free port (the only changes)."""
    text = conf.read_text().replace("/etc/mosquitto/", f"{root}/etc/mosquitto/")
    text = text.replace("/var/lib/mosquitto/", f"{root}/var/lib/mosquitto/")
    conf.write_text(text.replace("listener 8883", f"listener {port} 127.0.0.1"))


def _device_publishes(fleet: Path, port: int, device: str = "dev-a") -> int:
    """A device with only its fleet folder's files: their CA, its account, its own topic."""
    folder = fleet / "devices" / device
    site = tomllib.loads((folder / "site.toml").read_text())
    assert site["telemetry"]["ca_file"] == "/etc/hemassist/ca.pem"
    cert = (
        (folder / "client.pem", folder / "client.key") if (folder / "client.pem").exists() else None
    )
    client = Client(port, folder / "ca.pem", *_secret(folder / "secrets.toml"), cert)
    try:
        assert client.connected == 0, client.connected
        return client.publish(f"hemassist/v1/goteborg/{device}/stats")
    finally:
        client.close()


def test_debian_layout_following_broker_md(tmp_path: Path, root: Path) -> None:
    fleet = _fleet(tmp_path)
    for name in ("ca.pem", "server.pem", "server.key", "passwd", "acl", "hemassist.conf"):
        assert (fleet / "broker" / name).is_file(), name
    _debian(root)
    _run_steps(_steps(0), root, fleet)
    port = free_port()
    _here(root / "etc/mosquitto/conf.d/hemassist.conf", root, port)
    packaged = root / "etc/mosquitto/mosquitto.conf"
    assert packaged.read_text() == DEBIAN_CONF.replace(" /", f" {root}/")  # untouched
    proc = _start(packaged, port, root / "var/log/mosquitto/mosquitto.log")
    try:
        assert _device_publishes(fleet, port) in (0, 16)  # accepted (16: nobody subscribed)
    finally:
        _stop(proc)
    log = (root / "var/log/mosquitto/mosquitto.log").read_text()
    assert "running" in log and "Error" not in log


def test_debian_layout_with_client_certificates(tmp_path: Path, root: Path) -> None:
    fleet = _fleet(tmp_path, "--client-certs")
    _debian(root)
    _run_steps(_steps(0) + _steps(1), root, fleet)
    port = free_port()
    _here(root / "etc/mosquitto/conf.d/hemassist.conf", root, port)
    proc = _start(root / "etc/mosquitto/mosquitto.conf", port, root / "var/log/mosquitto/x.log")
    try:
        assert _device_publishes(fleet, port) in (0, 16)
    finally:
        _stop(proc)


def test_the_old_conf_d_file_stopped_debian(tmp_path: Path, root: Path) -> None:
    """What 4900c26 wrote (persistence_location in conf.d) does stop Debian's Mosquitto: this
    layout test would have caught it."""
    _debian(root)
    port = free_port()
    (root / "etc/mosquitto/conf.d/old.conf").write_text(
        f"persistence true\npersistence_location {root}/var/lib/mosquitto/\nlistener {port}\n"
    )
    proc = subprocess.run(
        [MOSQUITTO, "-c", str(root / "etc/mosquitto/mosquitto.conf")],
        capture_output=True,
        timeout=10,
    )
    assert proc.returncode != 0 and b"Duplicate persistence_location" in proc.stderr


def test_standalone_configuration_alone(tmp_path: Path, root: Path) -> None:
    fleet = _fleet(tmp_path)
    _debian(root)  # only for the folders; the packaged mosquitto.conf is not used
    _run_steps(_steps(0), root, fleet)
    shutil.copy(fleet / "broker/standalone.conf", root / "etc/mosquitto/hemassist/")
    port = free_port()
    conf = root / "etc/mosquitto/hemassist/standalone.conf"
    _here(conf, root, port)
    proc = _start(conf, port, root / "none.log")
    try:
        assert _device_publishes(fleet, port, "dev-b") in (0, 16)
    finally:
        _stop(proc)
    assert (root / "var/lib/mosquitto/mosquitto.db").exists()  # its own persistence
