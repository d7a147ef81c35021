"""`hemassist models list | install | verify` (also `hemassist provision models`)."""

from __future__ import annotations

import sys
from pathlib import Path

from device.commandline import EXIT_ERROR, EXIT_OK, UsageError
from device.settings import Settings


def run_models(
    settings: Settings, action: str, names: list[str], use: str | None, from_dir: Path | None
) -> int:
    """models list | install | verify (also `hemassist provision models`)."""
    from device.models.install import install, verify
    from device.models.manifest import ModelError, load_manifest

    try:
        manifest = load_manifest()
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
            for entry in entries:
                result = install(entry, settings.models.dir, from_dir)
                print(
                    f"{entry.name}: {result.installed} files installed, "
                    f"{result.already} already in place (sha256 checked)"
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
