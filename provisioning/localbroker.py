"""A private Mosquitto for demos and tests: TLS with its own CA, a password file and an ACL,
written with this package's helpers, on a free loopback port. Not for production brokers."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from provisioning.mosquitto import (
    BrokerLayout,
    broker_config,
    device_acl,
    password_line,
    reader_acl,
)
from provisioning.pki import Issued, issue, make_ca

ORG = "goteborg"
DEVICES = ("dev-1", "dev-2")
PASSWORDS = {"dev-1": "pw-dev-1", "dev-2": "pw-dev-2", "dashboard": "pw-dashboard"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Broker:
    workdir: Path
    port: int
    ca: Issued
    proc: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)
    passwd: str | None = None  # mosquitto password-file text (default: the demo accounts)
    acl: str | None = None  # ACL text (default: the demo devices and the dashboard)

    @property
    def ca_file(self) -> Path:
        return self.workdir / "ca.pem"

    @property
    def url(self) -> str:
        return f"mqtts://127.0.0.1:{self.port}"

    def write_files(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ca.write(self.ca_file, self.workdir / "ca.key")  # ca.pem: the name broker_config uses
        issue(self.ca, "localhost", server_names=("localhost", "127.0.0.1")).write(
            self.workdir / "server.pem", self.workdir / "server.key"
        )
        (self.workdir / "passwd").write_text(
            self.passwd or "".join(password_line(user, pw) + "\n" for user, pw in PASSWORDS.items())
        )
        acl = "".join(device_acl(d, ORG, d) for d in DEVICES) + reader_acl("dashboard", ORG)
        (self.workdir / "acl").write_text(self.acl or acl)
        layout = BrokerLayout(
            config_dir=self.workdir,
            persistence_dir=self.workdir,
            port=self.port,
            bind="127.0.0.1",
            devices=len(DEVICES),
            log_file=self.workdir / "mosquitto.log",
        )
        # The fleet's own configuration; as root (tests, the demo) Mosquitto must be told to
        # stay root to read files in the work folder.
        config = "user root\n" + broker_config(layout) + "".join(f"{x}\n" for x in self.extra)
        (self.workdir / "mosquitto.conf").write_text(config)

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            raise RuntimeError("mosquitto is not installed: run scripts/setup.sh")
        self.proc = subprocess.Popen(
            [binary, "-c", str(self.workdir / "mosquitto.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    log = (self.workdir / "mosquitto.log").read_text(errors="replace")
                    raise RuntimeError(f"mosquitto did not start:\n{log}") from None
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not open its port in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: mosquitto saves its persistence file
            try:
                self.proc.wait(30)  # seen over 10 s on a loaded 2-core machine (2026-12-05)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def restart(self, pause: float = 0.0) -> None:
        self.stop()
        time.sleep(pause)
        self.start()


def make_broker(
    workdir: Path,
    extra: list[str] | None = None,
    *,
    ca: Issued | None = None,
    passwd: str | None = None,
    acl: str | None = None,
) -> Broker:
    """A broker for organisation ORG with devices DEVICES and the dashboard account, or with
    the given CA, password file and ACL (as `hemassist provision fleet` writes them)."""
    broker = Broker(
        workdir, free_port(), ca or make_ca(), extra=extra or [], passwd=passwd, acl=acl
    )
    broker.write_files()
    return broker
