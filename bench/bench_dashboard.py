"""Dashboard benchmarks: ingest rate through the real validation and storage path, and the
overview and pilot pages' render time over a year of hourly statistics from many devices.

    .venv/bin/python -m bench.bench_dashboard [--devices 200] [--days 365]
        [--database-url URL | --postgres]

Targets: overview render < 500 ms, and the pilot view (page and PDF) < 500 ms p95, with a year
of hourly statistics (version 2, with feedback and repeats) for 200 devices (about 1.75 million
messages), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

from bench.bench_templates import percentile
from dashboard.pilot import Pilot
from dashboard.storage import Incoming, Storage
from dashboard.web import create_app, hash_password, secret_key

INTENTS = ["next_visit", "schedule", "routine", "flags", "medication", "access", "unknown"]
OUTCOMES = {
    "next_visit": "answered",
    "schedule": "answered",
    "routine": "answered",
    "flags": "must_verify",
    "medication": "must_verify",
    "access": "gated",
    "unknown": "unknown",
}


def payload(device: int, seq: int, hour: datetime) -> bytes:
    """An hourly stats message as a device sends it (built as text: the generator must be fast)."""
    turns = ",".join(
        f'{{"intent":"{i}","language":"sv","path":"{"none" if i == "unknown" else "template"}",'
        f'"outcome":"{OUTCOMES[i]}","engine":"vosk","count":{1 + (device + seq + k) % 4}}}'
        for k, i in enumerate(INTENTS[: 2 + (device + seq) % 5])
    )
    bins = [0] * 12
    bins[2 + (seq % 3)] = 5
    signals = ",".join(
        f'{{"signal":"{kind}","intent":"next_visit","path":"template","outcome":"answered",'
        f'"count":{1 + (device + seq) % 2}}}'
        for kind in ("good", "bad", "repeat")[: (device + seq) % 4]
    )
    return (
        f'{{"schema_version":2,"device_id":"dev-{device:03d}","org":"goteborg",'
        f'"team":"team-{device % 20:02d}","seq":{seq},"kind":"stats",'
        f'"hour_start":"{hour.isoformat()}","turns":[{turns}],'
        f'"latency":[{{"stage":"total","counts":{bins}}}],"signals":[{signals}]}}'
    ).encode()


def _timed(client: object, path: str, runs: int = 10) -> list[float]:
    get = client.get  # type: ignore[attr-defined]
    get(path)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        response = get(path)
        samples.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, path
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="a throw-away PostgreSQL server (Debian's postgresql, as the tests start it)",
    )
    args = parser.parse_args()
    if args.postgres:
        from tests.postgres import throwaway_postgres

        for url in throwaway_postgres():
            args.database_url = url
            run(args)
    else:
        run(args)


def run(args: argparse.Namespace) -> None:
    start = datetime(2025, 11, 24, tzinfo=UTC)
    hours = args.days * 24
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage(args.database_url or f"sqlite:///{Path(tmp) / 'dashboard.db'}")
        total = args.devices * hours
        started = time.perf_counter()
        batch: list[Incoming] = []
        for h in range(hours):
            hour = start + timedelta(hours=h)
            for d in range(args.devices):
                batch.append(
                    Incoming(f"hemassist/v1/goteborg/dev-{d:03d}/stats", payload(d, h + 1, hour))
                )
            if len(batch) >= 5000:
                storage.ingest(batch)
                batch = []
        if batch:
            storage.ingest(batch)
        ingest_s = time.perf_counter() - started
        storage.set_user("chef", hash_password("benchmark-password"))
        last = (start + timedelta(hours=hours - 1)).date()
        first = start.date()
        # A 12-week pilot with 4 baseline weeks, and one running the whole year (both shorter
        # when --days is small).
        span = (last - first).days
        for team, weeks in (("team-00", 12), ("team-01", 48)):
            pilot_days = min(weeks * 7, span - 28 if span > 56 else span * 3 // 4)
            start = last - timedelta(days=pilot_days)
            baseline = min(28, (start - first).days)
            storage.set_pilot(
                Pilot(team, start, last, start - timedelta(days=baseline), start - timedelta(1))
                if baseline > 0
                else Pilot(team, start, last)
            )
        app = create_app(storage, secret_key(Path(tmp) / "key"), today=lambda: last)
        client = app.test_client()
        with client.session_transaction() as session:
            session["user"] = "chef"
        timings = {
            "overview page, last 30 days": _timed(client, "/?days=30"),
            "overview page, last 365 days": _timed(client, "/?days=365"),
            "pilot page, 12 weeks + 4 baseline": _timed(client, "/pilot?team=team-00"),
            "pilot page, 48 weeks + 4 baseline": _timed(client, "/pilot?team=team-01"),
            "pilot PDF, 48 weeks + 4 baseline": _timed(client, "/pilot.pdf?team=team-01"),
        }
        storage.close()
    print(
        f"hemassist dashboard benchmark — {platform.machine()}, Python "
        f"{platform.python_version()}, Flask {version('flask')}, "
        f"{'PostgreSQL' if args.database_url else 'SQLite'}"
    )
    print(
        f"ingest {total:,} hourly messages ({args.devices} devices × {args.days} days), "
        f"validated and rolled up: {ingest_s:.0f} s = {total / ingest_s:,.0f} messages/s"
    )
    for case, samples in timings.items():
        print(
            f"{case}: p50 {statistics.median(samples):.0f} ms, "
            f"p95 {percentile(samples, 0.95):.0f} ms"
        )


if __name__ == "__main__":
    main()
