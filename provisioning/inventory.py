"""The inventory CSV of `hemassist provision fleet`: strict, bounded, and every problem named by
the line it is on in the file (blank lines counted), so IT can find it in a spreadsheet.

Commas are the separator; a file saved by Excel with Swedish settings uses semicolons, which are
recognised and named. A first line that is a device rather than the column names is refused
with the header to add.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from provisioning.identity import ID, LANGUAGES, ProvisionError, check_id

REQUIRED_COLUMNS = ("device_id", "team")
COLUMNS = (*REQUIRED_COLUMNS, "language", "worker", "button")
HEADER = ",".join(COLUMNS)
MAX_BYTES = 1_000_000  # a fleet of thousands of devices is a few hundred kB
MAX_ROWS = 5_000
MAX_FIELD = 200
SEPARATORS = {",": "commas", ";": "semicolons (as Excel saves it with Swedish settings)"}
YES, NO = ("yes", "ja", "true", "1", "x"), ("no", "nej", "false", "0", "")


@dataclass(frozen=True)
class InventoryRow:
    line: int
    device_id: str
    team: str
    language: str = "sv"
    worker: str = ""
    button: bool = False  # a GPIO push button: the site file gets trigger.mode = "gpio"


@dataclass(frozen=True)
class Inventory:
    rows: list[InventoryRow]
    separator: str  # "," or ";"

    @property
    def separator_name(self) -> str:
        return SEPARATORS[self.separator]


def read_inventory(path: Path) -> Inventory:
    """The inventory's rows; ProvisionError listing every bad row (by line) otherwise."""
    try:
        if path.is_dir():
            raise ProvisionError(f"{path} is a folder: give the inventory's CSV file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ProvisionError(f"{path}: the inventory file is missing") from None
    except OSError as exc:
        raise ProvisionError(f"{path}: can't read the inventory ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise ProvisionError(f"{path}: larger than {MAX_BYTES:,} bytes; is it the inventory?")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProvisionError(
            f'{path} is not UTF-8 text: in Excel, save it as "CSV UTF-8 (comma delimited)"'
        ) from None
    return parse_inventory(text, str(path))


def parse_inventory(text: str, name: str) -> Inventory:
    """Parse the CSV text; ProvisionError with every problem, each by its line in the file."""
    if "\x00" in text:
        raise ProvisionError(f"{name} holds NUL bytes: it is not a CSV text file")
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip(" ,;\t")), None)
    if first is None:
        raise ProvisionError(f"{name}: the inventory is empty (first line: {HEADER})")
    header_line = lines[first]
    separator = ";" if ";" in header_line and "," not in header_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    problems: list[str] = []
    rows: list[InventoryRow] = []
    seen: dict[str, int] = {}
    header: list[str] | None = None
    try:
        for cells in reader:
            line = reader.line_num
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue  # a blank line (or only separators): skipped, but counted
            if header is None:
                header = _header(cells, line, name, separator)
                continue
            if len(rows) + len(problems) >= MAX_ROWS:
                raise ProvisionError(f"{name}: more than {MAX_ROWS:,} devices in one inventory")
            try:
                row = _row(dict(zip(header, cells, strict=False)), cells, header, line)
                if row.device_id in seen:
                    raise ProvisionError(
                        f"device id {row.device_id!r} appears twice (also on line "
                        f"{seen[row.device_id]})"
                    )
                seen[row.device_id] = line
                rows.append(row)
            except ProvisionError as exc:
                problems.append(f"line {line}: {exc}")
    except csv.Error as exc:
        problems.append(f"line {reader.line_num}: not readable as CSV ({exc})")
    if not rows and not problems:
        problems.append("the inventory lists no devices")
    if problems:
        raise ProvisionError(
            f"{name}: nothing written.\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return Inventory(rows, separator)


def _header(cells: list[str], line: int, name: str, separator: str) -> list[str]:
    columns = [c.lower() for c in cells]
    if "device_id" not in columns and cells and ID.fullmatch(cells[0]):
        raise ProvisionError(
            f"{name}: line {line} is a device, not the column names: add the line "
            f"{HEADER.replace(',', separator)} at the top"
        )
    unknown = [c for c in columns if c not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if unknown or missing or twice:
        said = "; ".join(
            part
            for part in (
                f"unknown column {', '.join(repr(c[:MAX_FIELD]) for c in unknown)}"
                if unknown
                else "",
                f"no column {', '.join(missing)}" if missing else "",
                f"column {', '.join(twice)} twice" if twice else "",
            )
            if part
        )
        hint = "" if separator in cells[0] or len(cells) > 1 else " (is it separated by commas?)"
        raise ProvisionError(
            f"{name}: line {line}, the column names: {said}{hint}. The columns are {HEADER} "
            "(device_id and team required)"
        )
    return columns


def _row(values: dict[str, str], cells: list[str], header: list[str], line: int) -> InventoryRow:
    if len(cells) > len(header) and any(cells[len(header) :]):
        raise ProvisionError(
            f"{len(cells)} values but {len(header)} column names; a name with a comma must "
            'be in double quotes ("Andersson, Eva")'
        )
    for column, value in values.items():
        if len(value) > MAX_FIELD:
            raise ProvisionError(f"{column} is longer than {MAX_FIELD} characters")
    language = values.get("language") or "sv"
    if language not in LANGUAGES:
        raise ProvisionError(f"language {language[:20]!r} must be one of {', '.join(LANGUAGES)}")
    button = values.get("button", "").lower()
    if button not in YES + NO:
        raise ProvisionError(f"button {button[:20]!r} must be yes or no (or empty: no)")
    worker = values.get("worker", "")
    if worker and not re.fullmatch(r"[A-Za-z0-9.-]{1,64}", worker):
        raise ProvisionError("worker must be a practitioner id (letters, digits, '.', '-')")
    return InventoryRow(
        line=line,
        device_id=check_id("device id", values.get("device_id", "")),
        team=check_id("team", values.get("team", "")),
        language=language,
        worker=worker,
        button=button in YES,
    )
