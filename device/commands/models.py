"""`hemassist models list | install | verify | pin` (also `hemassist provision models`)."""

from __future__ import annotations

import sys
from pathlib import Path

from device.commands.common import EXIT_ERROR, EXIT_OK, UsageError
from device.settings import Settings


def run_models(
    settings: Settings,
    action: str,
    names: list[str],
    use: str | None,
    from_dir: Path | None,
    vendor_digests: Path | None = None,
) -> int:
    """models list | install | verify | pin (also `hemassist provision models`)."""
    from device.models.install import install, verify
    from device.models.manifest import ModelError
    from device.models.site import manifest_for

    try:
        if action == "pin":
            return _pin(settings, names, from_dir, vendor_digests)
        manifest = manifest_for(settings)
        if action == "list":
            for entry in manifest.models:
                there = (settings.models.dir / entry.name).is_dir()
                print(
                    f"{entry.name:18} {entry.role:12} {entry.language:13} {entry.use:10} "
                    f"{'installed' if there else '-'}"
                )
            return EXIT_OK
        if action == "install":
            if not names and not use:
                raise UsageError("name the models to install, or give --use test|production")
            entries = [manifest.get(n) for n in names] or [
                m for m in manifest.models if m.use == use
            ]
            if from_dir is not None and not from_dir.is_dir():
                raise UsageError(f"--from: the folder {from_dir} is missing")
            for entry in entries:
                result = install(entry, settings.models.dir, from_dir)
                # Files in place are skipped by size and time, not hashed again: say so.
                print(
                    f"{entry.name}: {result.installed} files installed (sha256 checked), "
                    f"{result.already} already in place (not hashed again; "
                    "`hemassist models verify` re-hashes them)"
                )
            return EXIT_OK
        names = names or [
            m.name for m in manifest.models if (settings.models.dir / m.name).is_dir()
        ]
        problems = [p for n in names for p in verify(manifest.get(n), settings.models.dir)]
        for problem in problems:
            print(f"hemassist: {problem}", file=sys.stderr)
        print(f"verified {len(names)} models: {'OK' if not problems else 'PROBLEMS'}")
        return EXIT_ERROR if problems else EXIT_OK
    except ModelError as exc:
        print(f"hemassist: {exc}", file=sys.stderr)
        return EXIT_ERROR


def _pin(
    settings: Settings, names: list[str], from_dir: Path | None, vendor_digests: Path | None
) -> int:
    """Hash what IT downloaded and record it in the site manifest."""
    from device.models.manifest import load_manifest
    from device.models.site import load_site, pin, save_site, vendor_md5s

    if len(names) != 1 or from_dir is None:
        raise UsageError("models pin takes one model name and --from DIR (the downloaded files)")
    entry = load_manifest().get(names[0])
    digests = vendor_md5s(vendor_digests) if vendor_digests else None
    if digests is None and (from_dir / "voices.json").is_file():
        digests = vendor_md5s(from_dir / "voices.json")
    pinned = pin(entry, from_dir, digests)
    path = settings.models.site_manifest
    pins = load_site(path)
    pins[entry.name] = pinned
    save_site(path, pins)
    size = sum(f.size or 0 for f in pinned.files)
    checked = " (MD5 checked against the vendor's voices.json)" if digests else ""
    print(
        f"{entry.name}: {len(pinned.files)} files, {size / 1e6:.1f} MB pinned in {path}{checked}.\n"
        f"Provision devices with that file, copy {from_dir} to the mirror, and run "
        f"`hemassist models install {entry.name} --from <mirror folder>` on each device."
    )
    return EXIT_OK
