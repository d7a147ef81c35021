"""The encrypted local care-data store: one SQLite file in the data directory.

Each kept FHIR resource is a row sealed with AES-GCM (device.care.crypto); only the resource
type, and for visits the day they end (for purging), are stored in the clear. An import writes a
new snapshot and switches to it in one transaction, so a failed or killed import leaves the
previous data answering.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from device.care.crypto import Sealer, load_key
from device.care.fhir_import import ValidBundle
from device.care.fhir_map import to_care_data
from device.care.model import CareData

DB_NAME = "care.db"
KEY_NAME = "care.key"
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    imported_at TEXT NOT NULL,
    info BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    snapshot INTEGER NOT NULL REFERENCES snapshots(id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    until_day TEXT,
    body BLOB NOT NULL,
    PRIMARY KEY (snapshot, seq)
);
"""


class StoreError(Exception):
    """The store can't be read or written; the message says why, without care data."""


@dataclass(frozen=True)
class StoreStatus:
    """What IT may see of the store: no personal data."""

    bundle_id: str
    exported: str | None
    imported_at: str
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "bundle_id": self.bundle_id,
            "exported": self.exported,
            "imported_at": self.imported_at,
            "counts": self.counts,
        }


class CareStore:
    def __init__(self, data_dir: Path, retention_days: int) -> None:
        self.data_dir = data_dir
        self.retention = timedelta(days=retention_days)
        try:
            data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._sealer = Sealer(load_key(data_dir / KEY_NAME, create=True))
            self._db = sqlite3.connect(data_dir / DB_NAME, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"can't open the care-data store in {data_dir}: {exc}") from None
        except OSError as exc:
            raise StoreError(f"can't use the data directory {data_dir}: {exc.strerror}") from None

    def close(self) -> None:
        self._db.close()

    # -- writing ---------------------------------------------------------------------------

    def replace(self, bundle: ValidBundle, now: datetime) -> StoreStatus:
        """Make ``bundle`` the care data, atomically; the old snapshot is deleted with it."""
        exported = bundle.exported.isoformat() if bundle.exported else None
        info = {"bundle_id": bundle.bundle_id, "exported": exported, "counts": bundle.counts}
        imported_at = now.isoformat(timespec="seconds")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            cur = self._db.execute(
                "INSERT INTO snapshots (imported_at, info) VALUES (?, x'')", (imported_at,)
            )
            snap = int(cur.lastrowid or 0)
            self._db.execute(
                "UPDATE snapshots SET info = ? WHERE id = ?",
                (self._seal_json(info, f"info:{snap}"), snap),
            )
            self._db.executemany(
                "INSERT INTO records (snapshot, seq, kind, until_day, body) VALUES (?,?,?,?,?)",
                (
                    (
                        snap,
                        seq,
                        r["resourceType"],
                        _until_day(r),
                        self._seal_json(r, f"record:{snap}:{seq}"),
                    )
                    for seq, r in enumerate(bundle.resources)
                ),
            )
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('active', ?), ('schema', ?)",
                (str(snap), SCHEMA_VERSION),
            )
            self._db.execute("DELETE FROM records WHERE snapshot != ?", (snap,))
            self._db.execute("DELETE FROM snapshots WHERE id != ?", (snap,))
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(_explain(exc, "save the care data")) from None
        self._checkpoint()
        return StoreStatus(bundle.bundle_id, exported, imported_at, bundle.counts)

    def purge(self, now: datetime) -> int:
        """Delete visits that ended before the retention period; returns the rows deleted.

        The snapshot in use is never deleted as a whole, however old its export: only a newer
        import replaces it (an old bundle would otherwise wipe the device, and the worker would
        hear "no care data" instead of her clients' routines). ``status`` says when it is stale.
        """
        cutoff = now - self.retention
        active = self.active_snapshot()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            deleted = self._db.execute(
                "DELETE FROM records WHERE until_day IS NOT NULL AND until_day < ?",
                (cutoff.date().isoformat(),),
            ).rowcount
            if active is not None:  # leftovers of an interrupted older layout, never the active
                deleted += self._db.execute(
                    "DELETE FROM records WHERE snapshot != ?", (active,)
                ).rowcount
                self._db.execute("DELETE FROM snapshots WHERE id != ?", (active,))
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(_explain(exc, "purge old care data")) from None
        if deleted:
            self._checkpoint()
        return deleted

    def exported_in_use(self) -> datetime | None:
        """When the care data in use was exported (None when nothing is imported)."""
        status = self.status()
        if status is None or status.exported is None:
            return None
        return datetime.fromisoformat(status.exported)

    # -- reading ---------------------------------------------------------------------------

    def active_snapshot(self) -> int | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'active'").fetchone()
        return int(row[0]) if row else None

    def data_version(self) -> int:
        """Changes whenever another connection (an import) committed: time to reload."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def status(self) -> StoreStatus | None:
        snap = self.active_snapshot()
        if snap is None:
            return None
        row = self._db.execute(
            "SELECT imported_at, info FROM snapshots WHERE id = ?", (snap,)
        ).fetchone()
        info = self._open_json(row[1], f"info:{snap}")
        counts = Counter(
            dict(
                self._db.execute(
                    "SELECT kind, count(*) FROM records WHERE snapshot = ? GROUP BY kind", (snap,)
                ).fetchall()
            )
        )
        return StoreStatus(
            info["bundle_id"], info["exported"], row[0], dict(sorted(counts.items()))
        )

    def load(self) -> CareData:
        """The active care data (empty when nothing is imported)."""
        try:
            self._db.execute("BEGIN")
            snap = self.active_snapshot()
            if snap is None:
                self._db.execute("COMMIT")
                return CareData.empty()
            info_row = self._db.execute("SELECT info FROM snapshots WHERE id = ?", (snap,))
            info = self._open_json(info_row.fetchone()[0], f"info:{snap}")
            rows = self._db.execute(
                "SELECT seq, body FROM records WHERE snapshot = ? ORDER BY seq", (snap,)
            ).fetchall()
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise StoreError(_explain(exc, "read the care data")) from None
        resources = [self._open_json(body, f"record:{snap}:{seq}") for seq, body in rows]
        exported = datetime.fromisoformat(info["exported"]) if info["exported"] else None
        return to_care_data(info["bundle_id"], exported, resources)

    # -- helpers ---------------------------------------------------------------------------

    def _seal_json(self, value: Any, context: str) -> bytes:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return self._sealer.seal(text.encode(), context.encode())

    def _open_json(self, sealed: bytes, context: str) -> Any:
        return json.loads(self._sealer.open(sealed, context.encode()))

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _checkpoint(self) -> None:
        # Fold the WAL back so deleted snapshots don't linger in it.
        # A reader may hold the WAL open; then the next checkpoint does it.
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _until_day(resource: dict[str, Any]) -> str | None:
    end = resource.get("end") if resource.get("resourceType") == "Appointment" else None
    return str(end)[:10] if isinstance(end, str) else None


def _explain(exc: sqlite3.Error, action: str) -> str:
    text = str(exc)
    if "full" in text:
        return f"can't {action}: the disk is full. Free some space and try again."
    if "locked" in text or "busy" in text:
        return f"can't {action}: the store is busy (another import running?). Try again."
    return f"can't {action}: {text}"
