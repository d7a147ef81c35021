"""The systemd unit for the device process: restart on failure, an unprivileged user, and the
hardening options systemd offers for a service that needs audio, a GPIO button and the network."""

from __future__ import annotations

from pathlib import Path

UNIT_NAME = "hemassist.service"


def unit(
    executable: Path,
    config: Path = Path("/etc/hemassist/site.toml"),
    user: str = "hemassist",
    data_dir: Path = Path("/var/lib/hemassist"),
    absent_groups: list[str] | None = None,
) -> str:
    """The unit text; groups this machine lacks are left out (systemd refuses to start a
    service whose SupplementaryGroups don't exist)."""
    groups = [g for g in ("audio", "gpio") if g not in (absent_groups or [])]
    joined = ",".join(groups)
    return f"""# hemassist device process. Written by `hemassist provision install-service`.
# Install: copy to /etc/systemd/system/hemassist.service, then
#   useradd --system --home-dir {data_dir} --shell /usr/sbin/nologin{
        f" --groups {joined}" if groups else ""
    } {user}
#   systemctl daemon-reload && systemctl enable --now hemassist
# The service has no terminal: set trigger.mode = "gpio" in {config}.
[Unit]
Description=hemassist offline voice assistant for home care
After=network-online.target sound.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={user}
SupplementaryGroups={" ".join(groups)}
Environment=HEMASSIST_CONFIG={config}
Environment=HEMASSIST_DATA_DIR={data_dir}
ExecStart={executable} run
Restart=on-failure
RestartSec=5
TimeoutStopSec=15
UMask=0077

# Hardening: the process may write only its data directory, sees no home directories, keeps no
# capabilities and can't gain privileges; it needs sound devices, the GPIO chip and the network.
StateDirectory=hemassist
StateDirectoryMode=0700
ReadWritePaths={data_dir}
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true
ProtectKernelTunables=true
ProtectKernelModules=true
ProtectKernelLogs=true
ProtectControlGroups=true
ProtectClock=true
ProtectHostname=true
RestrictSUIDSGID=true
RestrictRealtime=true
RestrictNamespaces=true
LockPersonality=true
CapabilityBoundingSet=
AmbientCapabilities=
SystemCallArchitectures=native
SystemCallFilter=@system-service
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
DevicePolicy=closed
DeviceAllow=char-alsa rw
DeviceAllow=/dev/gpiochip0 rw
DeviceAllow=/dev/gpiomem rw

[Install]
WantedBy=multi-user.target
"""
