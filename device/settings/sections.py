"""The settings' sections other than speech: the store, input limits, answers, the device's
identity, statistics, models, the LLM, the similar-question reader, the dashboard. Each is a
frozen pydantic model; every field has a description (docs/settings.md is made from them)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
DEFAULTS_FILE = CONFIG_DIR / "defaults.toml"
SITE_FILE_ENV = "HEMASSIST_CONFIG"


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StoreSettings(_Section):
    retention_days: int = Field(
        14,
        ge=1,
        le=3650,
        description="Purge visits that ended, and bundles exported, more than this many days ago.",
    )
    max_bundle_mb: float = Field(
        50, gt=0, description="Refuse a care-data bundle larger than this many megabytes."
    )


class InputSettings(_Section):
    """Limits on what the device reads from programs and files, checked before parsing."""

    max_line_kb: int = Field(
        16, ge=1, le=1024, description="Longest `ask --jsonl` line (kB); longer gets an error line."
    )
    max_json_depth: int = Field(
        16, ge=2, le=200, description="Deepest nesting of a JSON line or message."
    )
    max_question_chars: int = Field(
        500, ge=10, le=10_000, description="Longest question text accepted."
    )
    max_wav_s: float = Field(
        60, gt=0, le=3600, description="Longest WAV file accepted as a question (seconds)."
    )
    max_wav_mb: float = Field(
        20, gt=0, le=1000, description="Largest WAV file accepted as a question (megabytes)."
    )
    max_bundle_depth: int = Field(
        48, ge=8, le=1000, description="Deepest JSON nesting accepted in a care-data bundle."
    )


PartOfDay = Literal["morning", "forenoon", "afternoon", "evening", "night"]


class AnswerSettings(_Section):
    access_confirmation: Literal["button", "spoken"] = Field(
        "button",
        description='How an access code is released: "button" (a press or --confirmed) '
        'or "spoken" ("ja"/"yes" right after the question, or a press).',
    )
    name_match_threshold: float = Field(
        80,
        ge=0,
        le=100,
        description="Lowest rapidfuzz score at which a misheard name snaps to a known person.",
    )
    parts_of_day: dict[PartOfDay, tuple[int, int]] = Field(
        default_factory=lambda: {  # type: ignore[arg-type]  # literal keys, inferred as str
            "morning": (5, 10),
            "forenoon": (0, 12),
            "afternoon": (12, 18),
            "evening": (18, 24),
            "night": (21, 24),
        },
        description="Hours [from, to) of each part of the day, by a visit's start (local time).",
    )
    focus_s: int = Field(
        600,
        ge=0,
        le=3600,
        description='Seconds a follow-up ("har hon några allergier?") refers to the client of '
        "the last answer; later it is said back first. 0: no follow-ups.",
    )

    @field_validator("parts_of_day")
    @classmethod
    def _hours(cls, value: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        for part, (start, end) in value.items():
            if not 0 <= start < end <= 24:
                raise ValueError(f"{part}: hours must be 0 ≤ from < to ≤ 24")
        return value


class DeviceSettings(_Section):
    id: str = Field(
        "",
        pattern=r"^[a-z0-9-]{0,64}$",
        description="Device id (a-z, 0-9, -); empty: no usage statistics are recorded.",
    )
    org: str = Field(
        "", pattern=r"^[a-z0-9-]{0,64}$", description="Organisation id used in the MQTT topics."
    )
    team: str = Field(
        "", pattern=r"^[a-z0-9-]{0,64}$", description="Team id sent with the statistics."
    )


class TelemetrySettings(_Section):
    broker_url: str = Field(
        "",
        description="mqtts://host:8883 (TLS) or mqtt://host:1883; empty: statistics stay queued.",
    )
    ca_file: Path | None = Field(None, description="CA certificate (PEM) that signed the broker's.")
    cert_file: Path | None = Field(
        None, description="Client certificate (PEM), if the broker wants one."
    )
    key_file: Path | None = Field(None, description="Private key (PEM) of the client certificate.")
    username: str = Field("", description="Broker user name.")
    password: SecretStr = Field(SecretStr(""), description="Broker password (prefer secrets_file).")
    secrets_file: Path | None = Field(
        None, description="TOML file (mode 0600) with username and password; overrides both."
    )
    max_messages: int = Field(
        50_000, ge=10, description="Most unsent messages kept; oldest dropped."
    )
    max_age_days: int = Field(30, ge=1, description="Unsent messages older than this are dropped.")
    keep_sent_days: int = Field(7, ge=0, description="Sent messages kept for `hemassist stats`.")
    max_inflight: int = Field(20, ge=1, le=1000, description="Messages awaiting the broker's ack.")
    health_interval_s: int = Field(900, ge=10, description="Seconds between health messages.")
    repeat_window_s: int = Field(
        120, ge=0, description="Same question again within this many seconds: a repeat."
    )
    keepalive_s: int = Field(60, ge=5, description="MQTT keep-alive in seconds.")
    connect_timeout_s: float = Field(10, gt=0, description="Seconds to wait for the broker.")
    backoff_max_s: float = Field(300, gt=0, description="Longest wait between reconnects.")
    sync_timeout_s: float = Field(60, gt=0, description="`hemassist sync` gives up after this.")

    @field_validator("ca_file", "cert_file", "key_file", "secrets_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value


class DeliverySettings(_Section):
    """Care data that arrives over the broker, sealed to this device (device/care/sealed.py)."""

    publisher_key: str = Field(
        "",
        pattern=r"^([A-Za-z0-9+/]{43}=)?$",
        description="The municipality's publishing key (Ed25519 public key, base64) that signs "
        "care data; written by `provision fleet`. Empty: none is received over the broker.",
    )
    key_file: Path | None = Field(
        None, description="This device's private key for care data (X25519, PEM, mode 0600)."
    )
    max_message_mb: float = Field(
        4, gt=0, le=256, description="Refuse a sealed care-data message larger than this (MB)."
    )
    receive_timeout_s: float = Field(
        10, gt=0, le=600, description="How long `provision data receive --once` waits for it."
    )

    @field_validator("key_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value


def default_models_dir() -> Path:
    """A checkout set up by scripts/setup.sh has its models in .models/; elsewhere the user's
    data folder. One rule, so every command finds what setup or `models install` put there."""
    checkout = PROJECT_ROOT / ".models"
    return checkout if checkout.is_dir() else Path("~/.local/share/hemassist/models").expanduser()


class ModelSettings(_Section):
    dir: Path = Field(
        Path(""),
        validate_default=True,
        description="Where `hemassist models install` puts model files and the device loads them "
        '("" = the checkout\'s .models/ when it exists, else ~/.local/share/hemassist/models).',
    )

    site_manifest: Path = Field(
        Path(""),
        validate_default=True,
        description="The hashes IT pinned with `hemassist models pin` (TOML); "
        '"" = site-manifest.toml in models.dir.',
    )

    @field_validator("dir", mode="before")
    @classmethod
    def _expand(cls, value: object) -> Path:
        if value in ("", None) or value == Path(""):
            return default_models_dir()
        return Path(str(value)).expanduser()

    @field_validator("site_manifest", mode="after")
    @classmethod
    def _site_beside_models(cls, value: Path, info: ValidationInfo) -> Path:
        if value == Path(""):
            return Path(info.data.get("dir", default_models_dir())) / "site-manifest.toml"
        return value.expanduser()


class LlmSettings(_Section):
    enabled: bool = Field(
        False,
        description="Ask the local LLM when nothing else reads a question (off: measured, "
        "it added no right answer behind the similar-question reader).",
    )
    model: str = Field("qwen2.5-coder-0.5b", description="LLM (a GGUF name in the manifest).")
    threads: int = Field(2, ge=1, le=16, description="CPU threads for the LLM.")
    context: int = Field(1024, ge=256, le=8192, description="Context size in tokens.")
    max_tokens: int = Field(40, ge=8, le=256, description="Most tokens the LLM may write.")
    timeout_s: float = Field(3.0, gt=0, description="After this the question gets 'unknown'.")


class SimilarSettings(_Section):
    enabled: bool = Field(
        True,
        description="Read a question no template reads by the template sentences nearest in "
        "meaning (multilingual-e5-small), before the LLM.",
    )
    threads: int = Field(2, ge=1, le=16, description="CPU threads for the sentence encoder.")
    per_line: int = Field(
        12,
        ge=1,
        le=500,
        description="Sentences of each template line in the index (per line, not per intent: a "
        "line added leaves the others' sentences as they were).",
    )
    nearest: int = Field(40, ge=1, le=500, description="Nearest sentences weighed per question.")
    cache_file: Path | None = Field(
        None,
        description="Where the sentence vectors are kept between runs (no names or medicines in "
        "it); empty: similar-vectors.npz in data_dir.",
    )
    wait_s: float = Field(
        15.0,
        ge=0,
        le=120,
        description="In a session, how long a question may wait for the index still being "
        "built at start-up (then it falls through to the next path).",
    )
    floor: float = Field(
        0.92, ge=0, le=1, description="Least cosine similarity for a reading to be used at all."
    )
    margin: float = Field(
        0.01,
        ge=0,
        le=1,
        description="How much more alike than any other reading one must be to be answered at "
        "once (else it is said back for a yes or no).",
    )

    records_floor: float = Field(
        0.82,
        ge=0,
        le=1,
        description="Least cosine of a question and a client's recorded sentence for the "
        "sentence to be offered as the nearest the records come.",
    )
    records_sure: float = Field(
        0.81,
        ge=0,
        le=1,
        description="Least cosine for a recorded sentence to be read as the answer (when it also "
        "stands records_margin above the client's other sentences).",
    )
    records_margin: float = Field(
        0.035,
        ge=0,
        le=1,
        description="How far above the client's other sentences the answer must stand.",
    )

    @field_validator("cache_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


class DashboardSettings(_Section):
    database_url: str = Field(
        "", description="sqlite:///path or postgresql://…; empty: dashboard.db in data_dir."
    )
    org: str = Field("", pattern=r"^[a-z0-9-]{0,64}$", description="Organisation to collect.")
    broker_url: str = Field("", description="The broker the collector subscribes to.")
    ca_file: Path | None = Field(None, description="CA certificate of the broker (PEM).")
    cert_file: Path | None = Field(None, description="Client certificate (PEM), if wanted.")
    key_file: Path | None = Field(None, description="Its private key (PEM).")
    secrets_file: Path | None = Field(
        None, description="TOML (0600) with the read-only account's username and password."
    )
    fleet_file: Path | None = Field(
        None,
        description="fleet.toml from `provision fleet`: each device's team (empty: the team "
        "a device reports is taken, and any device of the organisation is accepted).",
    )
    host: str = Field("127.0.0.1", description="Address the web page listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port the web page listens on.")
    small_count: int = Field(5, ge=1, description='Counts below this show as "<N".')
    care_stale_days: int = Field(
        2,
        ge=1,
        le=365,
        description="A device whose care data was exported this many days ago or more is "
        "marked on the devices page (it has missed its deliveries).",
    )
    minutes_saved_per_answer: float = Field(
        1.0, ge=0, description="Estimate of minutes saved per answered question (KPI)."
    )
    secure_cookies: bool = Field(
        True, description="Session cookie only over HTTPS (turn off only for a local demo)."
    )
    trusted_proxies: int = Field(
        0, ge=0, le=5, description="Reverse proxies in front whose X-Forwarded-For is trusted."
    )
    login_max_failures: int = Field(
        5, ge=1, description="Wrong passwords from one client before it is locked out."
    )
    login_lockout_s: int = Field(900, ge=1, description="How long a lockout lasts (s).")
    session_idle_min: float = Field(
        30, gt=0, le=24 * 60, description="A session ends after this many minutes unused."
    )
    session_lifetime_h: float = Field(
        8, gt=0, le=24 * 7, description="A session ends this many hours after login, in any case."
    )

    @field_validator(
        "ca_file", "cert_file", "key_file", "secrets_file", "fleet_file", mode="before"
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value
