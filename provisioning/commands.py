"""`hemassist provision …`: IT's commands, wired into the hemassist command line."""

from __future__ import annotations

import argparse
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

    fleet = psub.add_parser("fleet", help="files for many devices from an inventory CSV")
    fleet.add_argument("inventory", type=Path, help="CSV: device_id, team[, language, worker]")
    fleet.add_argument("--org", required=True)
    fleet.add_argument("--broker-url", required=True)
    fleet.add_argument("--out", type=Path, required=True, help="a new folder for the files")
    fleet.add_argument(
        "--client-certs",
        action="store_true",
        help="also make a CA and a client certificate per device",
    )
    fleet.add_argument("--cert-days", type=int, default=825, help="certificate lifetime")
    fleet.add_argument("--broker-host", help="with --client-certs: issue the broker's certificate")

    revoke = psub.add_parser("revoke", help="put a device certificate on the revocation list")
    revoke.add_argument("cert", type=Path, help="the device's client.pem")
    revoke.add_argument("--ca-dir", type=Path, required=True, help="the fleet's ca/ folder")

    models = psub.add_parser("models", help="install or verify models (as `hemassist models`)")
    models.add_argument("action", choices=["install", "verify", "list"])
    models.add_argument("names", nargs="*")
    models.add_argument("--use", choices=["test", "production"])
    models.add_argument("--from", dest="from_dir", type=Path, metavar="DIR")

    data = psub.add_parser("data", help="import care data or show what is loaded")
    data.add_argument("action", choices=["import", "status"])
    data.add_argument("path", nargs="?", type=Path, help="the FHIR bundle, for import")

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
    from provisioning.device import init
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
    )
    for path in written:
        print(f"wrote {path}")
    print(
        f"Device {identity.device_id} is set up. Start it with HEMASSIST_CONFIG="
        f"{args.config_dir / 'site.toml'}; check it with `hemassist provision selftest`."
    )
    if args.new_password:
        print("Add this line to the broker's password file:")
        print(password_line(identity.secrets()["username"], password))
    return EXIT_OK


def _fleet(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.fleet import read_inventory, write_fleet

    rows = read_inventory(args.inventory)
    write_fleet(
        rows,
        args.org,
        args.broker_url,
        args.out,
        client_certs=args.client_certs,
        cert_days=args.cert_days,
        broker_host=args.broker_host,
    )
    print(f"{len(rows)} devices written to {args.out}:")
    certs = ", ca.pem, client.pem, client.key" if args.client_certs else ""
    print(
        f"  devices/<id>/   copy to each device's /etc/hemassist (site.toml, secrets.toml{certs})"
    )
    print("  broker/         passwd and acl for Mosquitto (password_file, acl_file)")
    print("  dashboard/      the dashboard's read-only broker account")
    if args.client_certs:
        print("  ca/             the CA: keep ca.key offline; crl.pem goes to the broker (crlfile)")
    return EXIT_OK


def _revoke(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.device import revoke

    crl = revoke(args.ca_dir, args.cert)
    print(f"revoked {args.cert}; give the broker the new {crl} and reload it")
    return EXIT_OK


def _models(settings: Settings, args: argparse.Namespace) -> int:
    from device.commands.models import run_models

    return run_models(settings, args.action, args.names, args.use, args.from_dir)


def _data(settings: Settings, args: argparse.Namespace) -> int:
    from device.commands.care import import_fhir, status

    if args.action == "import":
        if args.path is None:
            raise ProvisionError("data import needs the bundle's path")
        return import_fhir(settings, args.path)
    return status(settings)


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
    from provisioning.identity import write_atomic
    from provisioning.service import unit

    text = unit(args.executable, args.config, args.user, settings.data_dir)
    write_atomic(args.out, text.encode())
    print(f"wrote {args.out}: copy it to /etc/systemd/system/hemassist.service")
    return EXIT_OK


def _wipe(settings: Settings, args: argparse.Namespace) -> int:
    from provisioning.device import wipe

    if not args.yes:
        raise ProvisionError(
            "wipe erases this device's care data and statistics for good; run again with --yes"
        )
    record = wipe(settings.data_dir, settings.device.id)
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
