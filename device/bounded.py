"""Bounded input, checked before anything parses it: JSON nesting depth, line length, and how
much of a hostile value an error message may quote.

Pure functions on bytes and str; the device's readers (``ask --jsonl``, ``import-fhir``) and the
dashboard's collector use the same ones.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

QUOTE_CHARS = 32  # an error message quotes at most this much of what was sent


class InputError(ValueError):
    """Input over a limit or not parseable; the message names the limit and quotes little."""


def quote(value: object, limit: int = QUOTE_CHARS) -> str:
    """``repr`` of at most ``limit`` characters of ``value``, marked when cut short."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return repr(text)
    return repr(text[:limit]) + f"… ({len(text):,} characters)"


def too_deep(raw: bytes | str, limit: int) -> bool:
    """Whether arrays and objects in ``raw`` nest deeper than ``limit``.

    A linear scan that knows JSON strings (brackets inside them don't count), so the depth is
    known before ``json.loads`` recurses into it.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # too few brackets to nest that deep: skip the scan
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth = max(0, depth - 1)
    return False


def loads_bounded(raw: bytes | str, max_bytes: int, max_depth: int, what: str = "input") -> Any:
    """``json.loads`` after checking size and depth; InputError names the limit that was hit."""
    size = len(raw)
    if size > max_bytes:
        raise InputError(f"{what} is {size:,} bytes, more than the limit of {max_bytes:,}")
    if too_deep(raw, max_depth):
        raise InputError(f"{what} is nested deeper than {max_depth} levels")
    try:
        # Decoded here, strictly: json.loads would guess UTF-16 or UTF-32 from the first bytes.
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} is not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:  # a last guard; the depth check comes first
        raise InputError(f"{what} is nested too deeply") from None


def bounded_lines(stream: IO[bytes], max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Each line of ``stream`` (numbered from 1, newline stripped), or None for a line longer
    than ``max_bytes``, whose rest is skipped without being held in memory."""
    line_no = 0
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        line_no += 1
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while True:  # skip the rest of the over-long line, a block at a time
                rest = stream.readline(65_536)
                if not rest or rest.endswith(b"\n"):
                    break
            yield line_no, None
            continue
        yield line_no, line.rstrip(b"\r\n")


MAX_TOML_BYTES = 1_000_000  # settings, secrets and manifests are a few kB


def read_toml(path: Path, max_bytes: int = MAX_TOML_BYTES) -> dict[str, Any]:
    """A TOML file of at most ``max_bytes``; OSError, TOMLDecodeError or InputError otherwise.

    The size is checked before reading, and nesting too deep for the parser is an InputError.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"the file is {size:,} bytes, more than the limit of {max_bytes:,}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text") from None
    except RecursionError:
        raise InputError("the file nests too deeply") from None
