"""The statistics messages: the only contract between devices and the dashboard.

Version 2 (devices send it; the collector also accepts version 1, which has no ``signals``):
version 2 adds the workers' feedback ("fel", "bra") and repeated questions as counts.
Every field is a number, a time, a boolean, a fixed enumeration, or an identifier matching a
strict pattern (device, organisation, team, version). No field can hold free text:
tests/test_telemetry_schema.py fails if one is added. Changing a field means a new version.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

SCHEMA_VERSION: Literal[2] = 2
SUPPORTED_VERSIONS = (1, 2)  # what the collector accepts
SchemaVersion = Literal[1, 2]

ID_PATTERN = r"^[a-z0-9-]{1,64}$"
VERSION_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$"
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Version = Annotated[str, StringConstraints(pattern=VERSION_PATTERN)]
# Every number is bounded to what a real device can produce, so that a buggy or hostile device
# can't overflow the dashboard's sums (BIGINT): a device answers at most a few thousand questions
# an hour, and a year of 100,000 per hour from 10,000 devices still fits in 2^63.
MAX_PER_HOUR = 100_000
MAX_SEQ = 2**62  # a device's message counter: fits a signed 64-bit column with room
MAX_FIGURE = 10**9  # health figures: MB of memory or disk, seconds of uptime (31 years), backlog
MAX_LIST = 2_000  # entries in a message's lists: far above the ~1,400 possible combinations
Count = Annotated[int, Field(ge=0, le=MAX_PER_HOUR)]
Figure = Annotated[int, Field(ge=0, le=MAX_FIGURE)]
MAX_PAYLOAD_BYTES = 256 * 1024  # checked before JSON parsing
MAX_PAYLOAD_DEPTH = 8  # the deepest real message nests 4 levels

# Upper bounds (ms) of the latency histogram's bins; one more bin counts everything slower.
LATENCY_BINS_MS: tuple[int, ...] = (10, 25, 50, 100, 250, 500, 1000, 1500, 2000, 3000, 5000)


class Intent(StrEnum):
    next_visit = "next_visit"
    schedule = "schedule"
    schedule_count = "schedule_count"
    visit_time = "visit_time"
    routine = "routine"
    notes = "notes"
    flags = "flags"
    medication = "medication"
    access = "access"
    address = "address"
    relative_phone = "relative_phone"
    escalation = "escalation"
    help = "help"
    confirm = "confirm"
    choose_client = "choose_client"
    deny = "deny"
    records = "records"
    contact = "contact"
    repeat = "repeat"
    stop = "stop"
    feedback = "feedback"  # since version 2
    visit_length = "visit_length"  # the day's plan (issue 39)
    day_end = "day_end"
    remaining = "remaining"
    time_left = "time_left"
    visit_worker = "visit_worker"  # who makes a client's visit (issue 39)
    new_question = "new_question"  # "ny fråga": the conversation starts over
    unknown = "unknown"


class Language(StrEnum):
    sv = "sv"
    en = "en"


class AnswerPath(StrEnum):
    template = "template"
    template_fuzzy = "template-fuzzy"
    llm = "llm"
    records = "records"
    none = "none"


class Outcome(StrEnum):
    answered = "answered"
    gated = "gated"
    must_verify = "must_verify"
    unknown = "unknown"
    escalated = "escalated"
    ambiguous = "ambiguous"
    no_data = "no_data"
    clarify = "clarify"  # the assistant asked back instead of answering a doubtful reading
    error = "error"


class Signal(StrEnum):
    """What a worker's reaction says about the answer before it (version 2)."""

    good = "good"  # "bra", "tack"
    bad = "bad"  # "fel", or a long press of the button
    repeat = "repeat"  # "upprepa", or the same question again soon: the answer didn't land


class SpeechEngine(StrEnum):
    text = "text"
    vosk = "vosk"
    whisper = "whisper"


class Stage(StrEnum):
    stt = "stt"
    recognize = "recognize"
    llm = "llm"
    answer = "answer"
    tts = "tts"
    total = "total"


class ModelRole(StrEnum):
    stt_vosk = "stt-vosk"
    stt_whisper = "stt-whisper"
    tts = "tts"
    llm = "llm"


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: SchemaVersion = SCHEMA_VERSION
    device_id: Identifier
    org: Identifier
    team: Identifier | None = None
    seq: Annotated[int, Field(ge=1, le=MAX_SEQ)]


class TurnCount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    intent: Intent
    language: Language
    path: AnswerPath
    outcome: Outcome
    engine: SpeechEngine
    count: Annotated[int, Field(ge=1, le=MAX_PER_HOUR)]


class LatencyHistogram(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Stage
    counts: Annotated[
        list[Count], Field(min_length=len(LATENCY_BINS_MS) + 1, max_length=len(LATENCY_BINS_MS) + 1)
    ]


class SignalCount(BaseModel):
    """How often a signal followed an answer of this intent, path and outcome."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    signal: Signal
    intent: Intent
    path: AnswerPath
    outcome: Outcome
    count: Annotated[int, Field(ge=1, le=MAX_PER_HOUR)]


class StatsMessage(_Message):
    """Usage in one hour (UTC): turns per intent and outcome, latency histograms per stage,
    and (version 2) the signals that followed answers."""

    kind: Literal["stats"] = "stats"
    hour_start: AwareDatetime
    turns: Annotated[list[TurnCount], Field(max_length=MAX_LIST)]
    latency: Annotated[list[LatencyHistogram], Field(max_length=len(Stage))]
    signals: Annotated[list[SignalCount], Field(max_length=MAX_LIST)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _signals_need_version_2(self) -> StatsMessage:
        if self.schema_version < 2 and self.signals:
            raise ValueError("signals need schema_version 2")
        return self


class HealthMessage(_Message):
    """How the device is doing."""

    kind: Literal["health"] = "health"
    sent_at: AwareDatetime
    uptime_s: Figure
    cpu_temp_c: Annotated[float, Field(ge=-100, le=200, allow_inf_nan=False)] | None = None
    mem_used_mb: Figure
    mem_total_mb: Figure
    disk_free_mb: Figure
    app_version: Version
    models: dict[ModelRole, Version] = Field(default_factory=dict)
    outbox_backlog: Figure
    outbox_dropped: Figure
    # When the care data in use was exported (a time, never what it holds): stale devices.
    care_exported: AwareDatetime | None = None


class StatusMessage(BaseModel):
    """Retained on …/status: online when connected, offline (the Last Will) when gone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: SchemaVersion = SCHEMA_VERSION
    kind: Literal["status"] = "status"
    device_id: Identifier
    online: bool
    changed_at: AwareDatetime


StatsPayload = Annotated[StatsMessage | HealthMessage, Field(discriminator="kind")]


def stats_topic(org: str, device_id: str) -> str:
    return f"hemassist/v1/{org}/{device_id}/stats"


def status_topic(org: str, device_id: str) -> str:
    return f"hemassist/v1/{org}/{device_id}/status"
