"""models/manifest.toml as typed, validated entries."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from device.bounded import InputError
from device.bounded import read_toml as read_bounded_toml
from device.settings import PROJECT_ROOT

MANIFEST = PROJECT_ROOT / "models" / "manifest.toml"
Role = Literal["stt-vosk", "stt-whisper", "tts", "llm"]


class ModelError(Exception):
    """A model can't be installed, verified or found; the message names the model and file."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ModelFile(_Strict):
    path: str
    sha256: str
    size: int | None = None
    members: tuple[str, ...] = Field(default=(), alias="from")
    url: str | None = None


class PypiSource(_Strict):
    pypi: str
    version: str
    extra: tuple[PypiSource, ...] = ()

    def packages(self) -> list[tuple[str, str]]:
        return [(self.pypi, self.version), *((e.pypi, e.version) for e in self.extra)]


class UrlSource(_Strict):
    url: str


class ArchiveSource(_Strict):
    archive: str
    sha256: str
    strip: str = ""


class ModelEntry(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    role: Role
    language: str
    use: Literal["test", "production"]
    licence: str
    source: PypiSource | UrlSource | ArchiveSource
    notes: str = ""
    files: tuple[ModelFile, ...] = ()

    def version(self) -> str:
        """What the health message reports: the package version, or 'vendor'."""
        return self.source.version if isinstance(self.source, PypiSource) else "vendor"


class Manifest(_Strict):
    models: tuple[ModelEntry, ...] = Field(alias="model")

    def get(self, name: str) -> ModelEntry:
        for entry in self.models:
            if entry.name == name:
                return entry
        known = ", ".join(m.name for m in self.models)
        raise ModelError(f"no model called {name!r} in the manifest (known: {known})")


M = TypeVar("M", bound=BaseModel)


def read_toml(model: type[M], path: Path, what: str) -> M:
    """``path`` parsed as ``model``; ModelError naming the file and the field that is wrong."""
    try:
        return model.model_validate(read_bounded_toml(path))
    except (OSError, tomllib.TOMLDecodeError, InputError) as exc:
        raise ModelError(f"{what} {path} can't be read: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ModelError(f"{what} {path} is invalid at {where}: {first['msg']}") from None


def load_manifest(path: Path = MANIFEST) -> Manifest:
    return read_toml(Manifest, path, "the models manifest")
