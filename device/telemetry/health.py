"""Device health readings for the health message: uptime, temperature, memory, disk."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

THERMAL = Path("/sys/class/thermal/thermal_zone0/temp")


@dataclass(frozen=True)
class Health:
    uptime_s: int
    cpu_temp_c: float | None
    mem_used_mb: int
    mem_total_mb: int
    disk_free_mb: int


def read_health(data_dir: Path) -> Health:
    """What the machine reports; a reading the machine doesn't offer is None or 0."""
    return Health(
        uptime_s=_uptime(),
        cpu_temp_c=_temperature(),
        mem_used_mb=_memory()[0],
        mem_total_mb=_memory()[1],
        disk_free_mb=_disk_free(data_dir),
    )


def _uptime() -> int:
    try:
        return int(float(Path("/proc/uptime").read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        return 0


def _temperature() -> float | None:
    try:
        celsius = round(int(THERMAL.read_text().strip()) / 1000, 1)
    except (OSError, ValueError):
        return None
    return celsius if -100 <= celsius <= 200 else None  # a glitching sensor: no reading


def _memory() -> tuple[int, int]:
    values: dict[str, int] = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            name, _, rest = line.partition(":")
            values[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return 0, 0
    total = values.get("MemTotal", 0) // 1024
    available = values.get("MemAvailable", 0) // 1024
    return max(total - available, 0), total


def _disk_free(path: Path) -> int:
    try:
        return shutil.disk_usage(path).free // (1024 * 1024)
    except OSError:
        return 0
