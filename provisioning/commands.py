"""`hemassist provision …`: IT's commands, wired into the hemassist command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from device.settings import Settings
from provisioning.identity import DeviceIdentity, ProvisionError, new_password

EXIT_OK, EXIT_ERROR = 0, 1


def add_parser(sub: Any) -> None:
    prov = sub.add_parser(
        "provision",
        help="IT: set up, check and retire devices",
        description="Provision a device (init), many devices (fleet), check one (selftest), "
        "install its service, or erase it (wipe). Models and care data: see `models` and "
        "`data` below.",
    )
    psub = prov.add_subparsers(dest="provision_command", required=True, metavar="ACTION")

    init = psub.add_parser("init", help="write this device's identity, settings and secrets")
    init.add_argument("--device-id", required=True, help="a-z, 0-9 and '-', e.g. majorna-07")
    init.add_argument("--org", required=True, help="organisation id, e.g. goteborg")
    init.add_argument("--team", required=True, help="team id, e.g. majorna-2")
    init.add_argument("--broker-url", required=True, help="mqtts://broker.example:8883")
    init.add_argument("--language", default="sv", choices=["sv", "en"])
    init.add_argument("--worker", default="", help="practitioner id of the worker (optional)")
    init.add_argument("--username", default="", help="broker user (default: the device id)")
    pw = init.add_mutually_exclusive_group()
    pw.add_argument("--password-file", type=Path, help="file holding the broker password")
    pw.add_argument(
        "--new-password",
        action="store_true",
        help="make a new password and print the broker's password-file line",
    )
    init.add_argument("--ca", type=Path, help="CA certificate of the broker (PEM)")
    init.add_argument("--cert", type=Path, help="this device's client certificate (PEM)")
    init.add_argument("--key", type=Path, help="its private key (PEM)")
    init.add_argument("--config-dir", type=Path, default=Path("/etc/hemassist"))
    init.add_argument("--data-dir", type=Path, help="default: the data_dir setting")
    init.add_argument("--force", action="store_true", help="replace an existing setup")
    init.add_argument(
        "--button", action="store_true", help="the device has a push button (trigger.mode gpio)"
    )
    init.add_argument(
        "--service-user",
        default="hemassist",
        help="the user the service runs as: it gets the secrets and the data key",
    )

    fleet = psub.add_parser(
        "fleet",
        help="files for many devices from an inventory CSV; add or remove one device",
        description="`fleet INVENTORY.csv --org … --broker-url … --out DIR` writes a new fleet "
        "folder. `fleet add DEVICE --team … --fleet DIR` adds one device to it, `fleet remove "
        "DEVICE --fleet DIR` retires one.",
    )
    fleet.add_argument(
        "words",
        nargs="+",
        metavar="INVENTORY.csv | add DEVICE | remove DEVICE",
        help="CSV columns: device_id, team[, language, worker, button]",
    )
    fleet.add_argument("--org", help="new fleet: organisation id")
    fleet.add_argument("--broker-url", help="new fleet: mqtts://broker.example:8883")
    fleet.add_argument("--out", type=Path, help="new fleet: a new folder for the files")
    fleet.add_argument("--fleet", type=Path, help="add, remove: the fleet's folder")
    fleet.add_argument("--team", help="add: the device's team")
    fleet.add_argument("--language", default="sv", choices=["sv", "en"], help="add")
    fleet.add_argument("--worker", default="", help="add: practitioner id of the worker")
    fleet.add_argument("--button", action="store_true", help="add: it has a push button")
    fleet.add_argument(
        "--client-certs",
        action="store_true",
        help="also make a CA and a client certificate per device",
    )
    fleet.add_argument("--cert-days", type=int, default=825, help="certificate lifetime")
    fleet.add_argument(
        "--broker-host", help="the broker's host name for its certificate (default: the URL's)"
    )
    fleet.add_argument(
        "--publisher-key",
        type=Path,
        help="an earlier fleet's publisher/publisher.key, so both trust one publishing key",
    )

    revoke = psub.add_parser(
        "revoke",
        help="put a device certificate on the revocation list, or renew the list (--refresh)",
    )
    revoke.add_argument("cert", type=Path, nargs="?", help="the device's client.pem")
    revoke.add_argument("--ca-dir", type=Path, required=True, help="the fleet's ca/ folder")
    revoke.add_argument(
        "--refresh",
        action="store_true",
        help="sign the list again for 30 days (the broker refuses every device once it runs out)",
    )

    models = psub.add_parser("models", help="install or verify models (as `hemassist models`)")
    models.add_argument("action", choices=["install", "verify", "list"])
    models.add_argument("names", nargs="*")
    models.add_argument("--use", choices=["test", "production"])
    models.add_argument("--from", dest="from_dir", type=Path, metavar="DIR")

    data = psub.add_parser(
        "data",
        help="import, publish or receive care data, or show what is loaded",
        description="import: a bundle by hand. publish (IT): seal a bundle to every device of "
        "a team and publish it on the broker. receive (a device): take what was published for "
        "it (--once), or keep listening. status: what is loaded.",
    )
    data.add_argument("action", choices=["import", "status", "publish", "receive"])
    data.add_argument("path", nargs="?", type=Path, help="the FHIR bundle, for import and publish")
    data.add_argument("--fleet", type=Path, help="publish: the folder `provision fleet` wrote")
    data.add_argument("--team", help="publish: the team whose devices get the bundle")
    data.add_argument("--broker-url", help="publish: default: the fleet's")
    data.add_argument("--ca", type=Path, help="publish: the broker's CA (default: the fleet's)")
    data.add_argument("--once", action="store_true", help="receive: take one message and exit")
    data.add_argument("--timeout", type=float, help="publish, receive --once: seconds to wait")
    data.add_argument(
        "--allow-older",
        action="store_true",
        help="import an export older than the one in use (going back on purpose)",
    )

    psub.add_parser("selftest", help="check settings, key, models, broker and clock")

    service = psub.add_parser("install-service", help="write the systemd unit")
    service.add_argument("--out", type=Path, default=Path("hemassist.service"))
    service.add_argument("--user", default="hemassist")
    service.add_argument(
        "--executable", type=Path, default=Path(sys.executable).parent / "hemassist"
    )
    service.add_argument("--config", type=Path, default=Path("/etc/hemassist/site.toml"))

    wipe = psub.add_parser("wipe", help="crypto-erase the device's care data and statistics")
    wipe.add_argument("--yes", action="store_true", help="really erase (there is no undo)")


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        return {
            "init": _init,
            "fleet": _fleet,
            "revoke": _revoke,
            "models": _models,
            "data": _data,
            "selftest": _selftest,
            "install-service": _service,
            "wipe": _wipe,
        }[args.provision_command](settings, args)
    except ProvisionError as exc:
        print(f"hemassist provision: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _init(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.device import give_to, init
    from provisioning.mosquitto import password_line

    password = ""
    if args.password_file:
        try:
            password = args.password_file.read_text().strip()
        except OSError as exc:
            raise ProvisionError(f"--password-file: {exc.strerror}") from None
    elif args.new_password:
        password = new_password()
    identity = DeviceIdentity(
        args.device_id,
        args.org,
        args.team,
        args.broker_url,
        args.language,
        args.worker,
        args.username,
        password,
    )
    data_dir = args.data_dir or settings.data_dir
    written = init(
        identity,
        args.config_dir,
        data_dir,
        ca_file=args.ca,
        cert_file=args.cert,
        key_file=args.key,
        force=args.force,
        button=args.button,
    )
    for path in written:
        print(f"wrote {path}")
    owned = give_to(args.service_user, [*written, data_dir])
    if owned:
        print(owned)
    print(
        f"Device {identity.device_id} is set up. Start it with HEMASSIST_CONFIG="
        f"{args.config_dir / 'site.toml'}; check it with `hemassist provision selftest`."
    )
    if args.new_password:
        print("Add this line to the broker's password file:")
        print(password_line(identity.secrets()["username"], password))
    return EXIT_OK


def _fleet(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.fleetops import run_fleet

    return run_fleet(args)


def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.device import refresh_crl, revoke
    from provisioning.pki import crl_next_update

    if args.refresh == (args.cert is not None):
        raise ProvisionError("give the certificate to revoke, or --refresh (not both)")
    crl = refresh_crl(args.ca_dir) if args.refresh else revoke(args.ca_dir, args.cert)
    until = crl_next_update(crl)
    print(
        ("renewed " if args.refresh else f"revoked {args.cert}; ")
        + f"{crl} is valid until {until:%Y-%m-%d}: install it as "
        "/etc/mosquitto/hemassist/crl.pem and `systemctl restart mosquitto`. Renew it before "
        "then with `hemassist provision revoke --refresh --ca-dir "
        f"{args.ca_dir}` (the broker refuses every device once it has run out)."
    )
    return EXIT_OK


def _models(settings: Settings, args: argparse.Namespace) -> int:
    from device.commands.models import run_models

    return run_models(settings, args.action, args.names, args.use, args.from_dir)


def _data(settings: Settings, args: argparse.Namespace) -> int:
    from device.commands.care import import_fhir, status

    if args.action == "import":
        if args.path is None:
            raise ProvisionError("data import needs the bundle's path")
        return import_fhir(settings, args.path, args.allow_older)
    if args.action == "publish":
        return _publish(settings, args)
    if args.action == "receive":
        from device.commands.delivery import receive

        return receive(settings, args.once, args.timeout)
    from provisioning.device import wiped

    record = wiped(settings.data_dir)
    if record is not None:  # opening the store would make a new data key
        print(json.dumps({"wiped": record}, indent=2))
        return EXIT_OK
    code = status(settings)
    from device.commands.delivery import last_delivery

    delivered = last_delivery(settings.data_dir)
    if delivered is not None:  # the last message from the broker: its result, never contents
        print(f"last from the broker: {json.dumps(delivered)}")
    return code


def _publish(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.publish import broker_config, publish, summary

    if args.path is None or args.fleet is None or args.team is None:
        raise ProvisionError("data publish needs the bundle's path, --fleet and --team")
    config = broker_config(args.fleet, args.broker_url, args.ca)
    result = publish(settings, args.path, args.fleet, args.team, config, args.timeout or 120.0)
    print(summary(result))
    return EXIT_OK if not result.refused else EXIT_ERROR


def _selftest(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.selftest import run_checks

    results = run_checks(settings)
    width = max(len(r.name) for r in results)
    for result in results:
        print(f"{'PASS' if result.ok else 'FAIL'}  {result.name:{width}}  {result.detail}")
    failed = [r for r in results if not r.ok]
    print(f"\n{len(results) - len(failed)} of {len(results)} checks passed.")
    return EXIT_OK if not failed else EXIT_ERROR


def _service(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.device import missing_groups
    from provisioning.identity import write_atomic
    from provisioning.service import UNIT_NAME, unit

    out = args.out / UNIT_NAME if args.out.is_dir() else args.out
    if not out.parent.is_dir():
        raise ProvisionError(f"--out: the folder {out.parent} is missing")
    absent = missing_groups()
    text = unit(args.executable, args.config, args.user, settings.data_dir, absent)
    try:
        write_atomic(out, text.encode())
    except OSError as exc:
        raise ProvisionError(f"--out: can't write {out} ({exc.strerror}); run as root?") from None
    print(
        f"wrote {out}"
        + (
            ""
            if out.parent == Path("/etc/systemd/system")
            else (f": copy it to /etc/systemd/system/{UNIT_NAME}")
        )
    )
    if "gpio" in absent:
        print(
            "This machine has no gpio group, so the unit leaves it out. A push button "
            '(trigger.mode = "gpio") needs it: on Raspberry Pi OS it exists; elsewhere '
            "create it (groupadd --system gpio), give it /dev/gpiochip0 "
            "(a udev rule), and write the unit again."
        )
    if "audio" in absent:
        print("This machine has no audio group: install the sound packages (alsa-utils) first.")
    return EXIT_OK


def _wipe(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.device import wipe

    if not args.yes:
        raise ProvisionError(
            "wipe erases this device's care data, statistics and secrets for good; run again "
            "with --yes"
        )
    secrets = [settings.telemetry.secrets_file, settings.telemetry.key_file]
    secrets.append(settings.delivery.key_file)  # the care-data key: bundles sealed to it
    record = wipe(settings.data_dir, settings.device.id, [p for p in secrets if p is not None])
    models_kept = settings.models.dir.is_dir()
    print(
        f"erased; record written to {record}"
        + (
            "; models are kept (delete them with rm -r if the device leaves service)"
            if models_kept
            else ""
        )
    )
    return EXIT_OK
