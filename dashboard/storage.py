"""Where the dashboard keeps the statistics: SQLite by default, PostgreSQL by URL, one interface.

Every message is validated against the schema (device.telemetry.schema), deduplicated on
(device_id, seq), and folded into daily roll-ups per team, so the overview reads a few thousand
rows however many hourly messages arrived. What doesn't validate is counted and kept aside as
its reason, topic, size and SHA-256 only: a faulty device's payload might hold personal data,
so its content is never stored.
"""

from __future__ import annotations

from dashboard.ingest import Incoming, Ingest, IngestResult
from dashboard.queries import Overview, Queries

__all__ = ["Incoming", "IngestResult", "Overview", "Storage"]


class Storage(Ingest, Queries):
    """SQL storage over a DB-API connection (sqlite3 or psycopg); queries use '?' placeholders.
    The database and its schema (dashboard.database), ingest (dashboard.ingest) and the pages'
    queries (dashboard.queries) in one object, shared by the collector and the web threads."""
