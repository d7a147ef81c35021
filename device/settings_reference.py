"""docs/settings.md, generated from the settings model: every setting's name, environment
variable, type, default and description, so the reference cannot drift from the code (a test
compares the file with what this writes).

    .venv/bin/python -m device.settings_reference > docs/settings.md
"""

from __future__ import annotations

import json
import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from device.settings import SITE_FILE_ENV, Settings

HEADER = f"""# Settings (reference)

Generated from the settings model (`device/settings/`) by `python -m device.settings_reference`;
do not edit by hand (`tests/test_settings.py` fails when this file and the model differ).

Settings are read, lowest first, from `config/defaults.toml` (every setting, with a comment),
the site file named by `{SITE_FILE_ENV}` (TOML, the same layout), and environment variables:
`HEMASSIST_` and the setting's name, with `__` between a section and its key. A setting that is
wrong stops the command with a message naming it. IT's guide ([it.md](it.md)) says which ones a
device needs.
"""
LONG = 60  # a default longer than this is shown as "see config/defaults.toml"


def _type(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    return getattr(annotation, "__name__", str(annotation))


def _default(info: FieldInfo) -> str:
    value = info.default
    if value is PydanticUndefined and info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    if value in ("", None):
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str | int | float | Path):
        return f"`{value}`"
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return f"`{shown}`" if len(shown) <= LONG else "see `config/defaults.toml`"


def _rows(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, ...]]:
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield ("section", prefix + name, info.description or "")
            yield from _rows(annotation, f"{prefix}{name}.")
            continue
        dotted = prefix + name
        env = "HEMASSIST_" + dotted.upper().replace(".", "__")
        description = (info.description or "").replace("|", "\\|")
        yield ("row", dotted, env, _type(annotation), _default(info), description)


def reference() -> str:
    """The whole of docs/settings.md."""
    out = [HEADER]
    table = "| setting | environment variable | type | default | meaning |\n|---|---|---|---|---|"
    out.append("## General\n\n" + table)
    for row in _rows(Settings):
        if row[0] == "section":
            out.append(f"\n## `[{row[1]}]`: {row[2]}\n\n{table}")
        else:
            _, dotted, env, kind, default, description = row
            out.append(f"| `{dotted}` | `{env}` | {kind} | {default} | {description} |")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference())
