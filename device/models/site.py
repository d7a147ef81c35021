"""The site manifest: the hashes IT pinned for models whose vendor files we can't ship hashes for.

On a machine that can reach the vendor, IT downloads a model's files into a folder and runs
``hemassist models pin NAME --from DIR``. Every file is hashed (and, where the vendor publishes a
digest, checked against it first: Piper's ``voices.json`` has an MD5 per file), and the model's
name, files, sizes and sha256 go into the site manifest (``models.site_manifest``). Devices are
provisioned with that file; they install from the folder, copied to a municipal mirror, with
``hemassist models install NAME --from MIRROR``, and every file is checked against the pinned
sha256: a mirror can't change what IT pinned.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import tomli_w
from pydantic import BaseModel, ConfigDict, Field

from device.models.manifest import (
    ArchiveSource,
    Manifest,
    ModelEntry,
    ModelError,
    ModelFile,
    UrlSource,
    load_manifest,
    read_toml,
)
from device.settings import Settings

CHUNK = 1 << 20


class Pin(BaseModel):
    """What IT pinned for one model."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    pinned_at: datetime
    archive_sha256: str = ""  # for models that come as one archive
    files: tuple[ModelFile, ...]


class _Site(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    pins: tuple[Pin, ...] = Field(default=(), alias="model")


def load_site(path: Path) -> dict[str, Pin]:
    """The pins in ``path``; none when the file doesn't exist."""
    if not path.is_file():
        return {}
    site = read_toml(_Site, path, "the site manifest")
    return {pin.name: pin for pin in site.pins}


def save_site(path: Path, pins: Mapping[str, Pin]) -> None:
    """Write the pins atomically (a killed process leaves the old file)."""
    document = {
        "model": [
            {
                "name": pin.name,
                "pinned_at": pin.pinned_at,
                **({"archive_sha256": pin.archive_sha256} if pin.archive_sha256 else {}),
                "files": [
                    {
                        "path": f.path,
                        "size": f.size,
                        "sha256": f.sha256,
                        **({"url": f.url} if f.url else {}),
                    }
                    for f in pin.files
                ],
            }
            for pin in sorted(pins.values(), key=lambda p: p.name)
        ]
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".part")
    temp.write_text(
        "# Pinned by `hemassist models pin`: provision devices with this file.\n"
        + tomli_w.dumps(document),
        encoding="utf-8",
    )
    os.replace(temp, path)


def with_pins(manifest: Manifest, pins: Mapping[str, Pin]) -> Manifest:
    """The manifest with each pinned model's files (and archive hash) taken from its pin."""
    models = []
    for entry in manifest.models:
        pin = pins.get(entry.name)
        if pin is None:
            models.append(entry)
            continue
        source = entry.source
        if isinstance(source, ArchiveSource):
            source = source.model_copy(update={"sha256": pin.archive_sha256})
        models.append(entry.model_copy(update={"files": pin.files, "source": source}))
    return manifest.model_copy(update={"models": tuple(models)})


def manifest_for(settings: Settings) -> Manifest:
    """The shipped manifest with this site's pins: what every command installs and loads by."""
    return with_pins(load_manifest(), load_site(settings.models.site_manifest))


def _hash(path: Path) -> tuple[str, str, int]:
    """sha256, md5 and size of a file."""
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            sha.update(block)
            md5.update(block)
            size += len(block)
    return sha.hexdigest(), md5.hexdigest(), size


def vendor_md5s(voices_json: Path) -> dict[str, tuple[str, int | None]]:
    """MD5 and size per file name, from a Piper ``voices.json`` as the vendor publishes it."""
    try:
        voices = json.loads(voices_json.read_text(encoding="utf-8"))
        found: dict[str, tuple[str, int | None]] = {}
        for voice in voices.values():
            for name, info in voice.get("files", {}).items():
                found[PurePosixPath(name).name] = (str(info["md5_digest"]), info.get("size_bytes"))
        return found
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as exc:
        raise ModelError(f"{voices_json} is not a Piper voices.json: {exc}") from None


def pin(
    entry: ModelEntry,
    from_dir: Path,
    vendor_digests: Mapping[str, tuple[str, int | None]] | None = None,
    now: datetime | None = None,
) -> Pin:
    """Hash what IT downloaded for ``entry`` into ``from_dir``; ModelError naming the file when
    one is missing or differs from the digest the vendor published."""
    pinned_at = (now or datetime.now(UTC)).replace(microsecond=0)
    if isinstance(entry.source, ArchiveSource):
        return _pin_archive(entry, entry.source, from_dir, pinned_at)
    if not isinstance(entry.source, UrlSource) or not entry.files:
        raise ModelError(
            f"{entry.name} comes from PyPI with its hashes in models/manifest.toml: nothing to pin"
        )
    files = []
    for file in entry.files:
        name = PurePosixPath(file.url or file.path).name
        local = from_dir / name
        if not local.is_file():
            raise ModelError(f"{entry.name}: {name} is not in {from_dir}")
        sha256, md5, size = _hash(local)
        published = (vendor_digests or {}).get(name)
        if published is not None and (published[0] != md5 or published[1] not in (None, size)):
            raise ModelError(
                f"{entry.name}: {local} does not match the vendor's published digest "
                f"(md5 {md5}, size {size}; published md5 {published[0]}, size {published[1]}): "
                "download it again"
            )
        files.append(ModelFile(path=file.path, sha256=sha256, size=size, url=file.url))
    return Pin(name=entry.name, pinned_at=pinned_at, files=tuple(files))


def _pin_archive(entry: ModelEntry, source: ArchiveSource, from_dir: Path, at: datetime) -> Pin:
    name = PurePosixPath(source.archive).name
    local = from_dir / name
    if not local.is_file():
        raise ModelError(f"{entry.name}: {name} is not in {from_dir}")
    archive_sha256, _, _ = _hash(local)
    files = []
    try:
        with zipfile.ZipFile(local) as archive:
            for member in archive.infolist():
                path = member.filename.removeprefix(source.strip)
                if member.is_dir() or not path or ".." in PurePosixPath(path).parts:
                    continue
                digest = hashlib.sha256()
                with archive.open(member) as handle:
                    for block in iter(lambda: handle.read(CHUNK), b""):
                        digest.update(block)
                files.append(ModelFile(path=path, sha256=digest.hexdigest(), size=member.file_size))
    except zipfile.BadZipFile:
        raise ModelError(f"{entry.name}: {local} is not a zip archive") from None
    if not files:
        raise ModelError(f"{entry.name}: {local} holds no files under {source.strip or '/'}")
    return Pin(name=entry.name, pinned_at=at, archive_sha256=archive_sha256, files=tuple(files))
