"""`hemassist dashboard …`: serve the page (with the collector), collect only, manage users."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path
from typing import Any

from device.settings import Settings, TelemetrySettings

EXIT_OK, EXIT_ERROR = 0, 1


def add_parser(sub: Any) -> None:
    dash = sub.add_parser(
        "dashboard",
        help="the supervisors' dashboard: collect statistics, serve the web page",
        description="Collect the devices' anonymous statistics from the broker and show them "
        "to supervisors on a web page (log in required, read-only).",
    )
    dsub = dash.add_subparsers(dest="dashboard_command", required=True, metavar="ACTION")
    serve = dsub.add_parser("serve", help="run the collector and the web page")
    serve.add_argument("--no-collector", action="store_true", help="only serve the page")
    dsub.add_parser("collect", help="run only the collector")
    user = dsub.add_parser(
        "user",
        help="add a supervisor, set a new password (ends their sessions), or --revoke",
    )
    user.add_argument("username")
    user.add_argument("--password-file", help="read the password from this file, not a prompt")
    user.add_argument(
        "--revoke",
        action="store_true",
        help="end every open session of this supervisor now (the password stays)",
    )


def storage_for(settings: Settings) -> Any:
    from dashboard.storage import Storage

    url = settings.dashboard.database_url or f"sqlite:///{settings.data_dir / 'dashboard.db'}"
    return Storage(url, settings.timezone, fleet_teams(settings.dashboard.fleet_file))


def fleet_teams(path: Path | None) -> dict[str, str] | None:
    """device id → team from `provision fleet`'s fleet.toml, or None when none is set."""
    if path is None:
        return None
    from device.bounded import read_toml

    devices = read_toml(path, max_bytes=10_000_000).get("devices")
    if not isinstance(devices, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in devices.items()
    ):
        raise ValueError(f"{path}: no [devices] table of device id = team")
    return dict(devices)


def collector_for(settings: Settings, storage: Any) -> Any:
    from dashboard.collector import Collector
    from device.telemetry.mqtt import BrokerConfig

    dash = settings.dashboard
    config = BrokerConfig.from_settings(
        TelemetrySettings(
            broker_url=dash.broker_url,
            ca_file=dash.ca_file,
            cert_file=dash.cert_file,
            key_file=dash.key_file,
            secrets_file=dash.secrets_file,
        )
    )
    return Collector(storage, config, dash.org)


def run(settings: Settings, args: argparse.Namespace) -> int:
    from device.telemetry.mqtt import BrokerError

    try:
        storage = storage_for(settings)
    except Exception as exc:
        print(f"hemassist dashboard: can't open the database: {exc}", file=sys.stderr)
        return EXIT_ERROR
    try:
        if args.dashboard_command == "user":
            return _user(storage, args)
        collector = None
        if args.dashboard_command == "collect" or not getattr(args, "no_collector", False):
            if not (settings.dashboard.broker_url and settings.dashboard.org):
                print(
                    "hemassist dashboard: set dashboard.broker_url and dashboard.org "
                    "(or use serve --no-collector)",
                    file=sys.stderr,
                )
                return EXIT_ERROR
            collector = collector_for(settings, storage)
            collector.start()
        try:
            if args.dashboard_command == "collect":
                print(
                    f"collecting from {settings.dashboard.broker_url} into {storage.url}",
                    flush=True,
                )
                while collector is not None and collector.refused is None:
                    time.sleep(0.5)
                if collector is not None:  # the broker said no: waiting would not help
                    print(f"hemassist dashboard: {collector.refused}", file=sys.stderr)
                return EXIT_ERROR
            return _serve(settings, storage)
        finally:
            if collector is not None:
                collector.stop()
    except BrokerError as exc:
        print(f"hemassist dashboard: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        storage.close()


def app_for(settings: Settings, storage: Any) -> Any:
    """The web app as the settings describe it."""
    from dashboard.guard import GuardRule, LoginGuard
    from dashboard.sessions import DbGuardState
    from dashboard.web import create_app, secret_key

    dash = settings.dashboard
    rule = GuardRule(max_failures=dash.login_max_failures, lockout_s=dash.login_lockout_s)
    return create_app(
        storage,
        secret_key(settings.data_dir / "dashboard.key"),
        dash.small_count,
        settings.timezone,
        dash.minutes_saved_per_answer,
        secure_cookies=dash.secure_cookies,
        trusted_proxies=dash.trusted_proxies,
        guard=LoginGuard(client_rule=rule, state=DbGuardState(storage)),
        repeat_window_s=settings.telemetry.repeat_window_s,
        session_idle_s=dash.session_idle_min * 60,
        session_lifetime_s=dash.session_lifetime_h * 3600,
        care_stale_days=dash.care_stale_days,
    )


def _serve(settings: Settings, storage: Any) -> int:
    import waitress

    dash = settings.dashboard
    app = app_for(settings, storage)
    print(
        f"dashboard on http://{dash.host}:{dash.port}/ (log in with a supervisor account; "
        "add one with `hemassist dashboard user NAME`)",
        flush=True,
    )
    waitress.serve(app, host=dash.host, port=dash.port, threads=4, _quiet=True)
    return EXIT_OK


def _user(storage: Any, args: argparse.Namespace) -> int:
    from dashboard.web import hash_password

    if args.revoke:
        from dashboard.sessions import SessionStore

        ended = SessionStore(storage, idle_s=0, lifetime_s=0).end_all(args.username)
        print(f"ended {ended} open session(s) of {args.username}")
        return EXIT_OK
    if args.password_file:
        with open(args.password_file, encoding="utf-8") as handle:
            password = handle.read().strip()
    else:
        password = getpass.getpass(f"New password for {args.username}: ")
    if len(password) < 10:
        print("hemassist dashboard: use a password of at least 10 characters", file=sys.stderr)
        return EXIT_ERROR
    storage.set_user(args.username, hash_password(password))
    print(f"supervisor {args.username} can log in")
    return EXIT_OK
