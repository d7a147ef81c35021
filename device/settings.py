"""Device settings: config/defaults.toml, then the site file named by HEMASSIST_CONFIG, then
HEMASSIST_… environment variables (``__`` between section and key). Settings are frozen."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from device.bounded import InputError, read_toml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
DEFAULTS_FILE = CONFIG_DIR / "defaults.toml"
SITE_FILE_ENV = "HEMASSIST_CONFIG"


class SettingsError(Exception):
    """The settings can't be loaded; the message names the file or setting that is wrong."""


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
            "afternoon": (12, 17),
            "evening": (17, 24),
            "night": (21, 24),
        },
        description="Hours [from, to) of each part of the day, by a visit's start (local time).",
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


class SpeechSettings(_Section):
    engine: Literal["vosk", "whisper"] = Field(
        "vosk", description="Speech-to-text engine: vosk (streaming, grammar) or whisper."
    )
    vosk_model: str = Field("vosk-sv-small", description="Vosk model name from the manifest.")
    whisper_model: str = Field(
        "kb-whisper-base", description="Whisper (CTranslate2) model name from the manifest."
    )
    whisper_language: str = Field(
        "",
        description='Language Whisper listens for ("" = Swedish or English, told per utterance '
        "when detect_language is on, else `language`).",
    )
    whisper_compute_type: str = Field("int8", description="CTranslate2 compute type.")
    whisper_window_s: float = Field(
        10.0,
        ge=5,
        le=30,
        description="Seconds of audio Whisper's encoder sees (30: its own; 10 encodes about 4x "
        "faster; the question and 3 s after it always fit).",
    )
    whisper_examples_sv: str = Field(
        "Vem är mitt nästa besök? Vad ska jag göra hos henne? Har hon några allergier? "
        "Ring dottern. Vad har jag i dag?",
        max_length=400,
        description="Whisper: Swedish example questions that start its prompt, before the names.",
    )
    whisper_examples_en: str = Field(
        "Who is my next visit? What should I do for her? Does she have any allergies? "
        "Call the daughter. What do I have today?",
        max_length=400,
        description="Whisper: English example questions that start its prompt, before the names.",
    )
    threads: int = Field(2, ge=1, le=16, description="CPU threads for speech-to-text.")
    second_pass: bool = Field(
        True, description="Vosk: decode again with open vocabulary when the grammar gives nothing."
    )
    closed_domain: bool = Field(
        True,
        description="Whisper: when no template reads the free transcript, score the closest "
        "template sentences against the audio and take one that fits clearly better.",
    )
    closed_within: bool = Field(
        True,
        description="Whisper: also decode with only the tokens of the templates' words allowed, "
        "and shortlist from that transcript too (as Vosk's grammar holds it to them).",
    )
    closed_candidates: int = Field(
        8, ge=1, le=64, description="Whisper: template sentences shortlisted per way of matching."
    )
    closed_search: Literal["shortlist", "grammar", "both"] = Field(
        "shortlist",
        description="Whisper: where the sentences scored against the audio come from: shortlist "
        "(closest to the transcripts), grammar (a beam search of Whisper's decoder through "
        "every sentence of the care grammar) or both.",
    )
    closed_beam: int = Field(
        8, ge=1, le=32, description="Whisper: hypotheses kept per step of the grammar search."
    )
    closed_found: int = Field(
        12, ge=1, le=64, description="Whisper: sentences the grammar search hands on to be scored."
    )
    closed_free_slack: float = Field(
        1.0,
        ge=0,
        description="Whisper: how much less likely (mean log-probability per token) than the free "
        "transcript a template sentence may be and still be chosen.",
    )
    closed_margin: float = Field(
        2.0,
        ge=0,
        description="Whisper: how much likelier than any sentence meaning something else the "
        "chosen sentence must be.",
    )
    closed_resemblance: float = Field(
        50,
        ge=0,
        le=100,
        description="Whisper: how alike (0-100, in spelling or sound) the free transcript and the "
        "chosen sentence must be.",
    )
    closed_ask_back: bool = Field(
        True,
        description="Whisper: when no sentence is clear enough to choose, say the likeliest one "
        'back ("Menar du …? Säg ja eller nej.") when it is close enough (the two below).',
    )
    closed_ask_slack: float = Field(
        3.5,
        ge=0,
        description="Whisper: how much less likely than the free transcript a sentence said back "
        "may be.",
    )
    closed_ask_margin: float = Field(
        0.3,
        ge=0,
        description="Whisper: how much likelier than any sentence meaning something else a "
        "sentence said back must be.",
    )
    closed_heard_margin: float = Field(
        0.5,
        ge=0,
        description="Whisper: how much likelier than any sentence meaning something else a short "
        "free transcript the templates read must be to be taken as heard (else said back).",
    )
    closed_echo_margin: float = Field(
        1.0,
        ge=0,
        description="Whisper: how much likelier than any other meaning a transcript that repeats "
        "one of the prompt's examples must be to be taken as heard.",
    )
    closed_short: int = Field(
        5,
        ge=0,
        le=20,
        description="Whisper: a template sentence of fewer words than this is at most said back, "
        "never answered at once (with closed_ask_back; short sentences were most of the wrong "
        "readings).",
    )


class VoiceSettings(_Section):
    piper_sv: str = Field("piper-sv-nst", description="Piper voice (manifest name) for Swedish.")
    piper_en: str = Field("piper-en-joe", description="Piper voice (manifest name) for English.")
    espeak_sv: str = Field("sv", description="espeak-ng voice for Swedish when Piper's is missing.")
    espeak_en: str = Field(
        "en-us", description="espeak-ng voice for English when Piper's is missing."
    )
    speed: float = Field(1.0, ge=0.5, le=2.0, description="Speaking speed; below 1 is slower.")
    volume: float = Field(1.0, ge=0.1, le=2.0, description="Loudness of the answers.")


class AudioSettings(_Section):
    input_device: str = Field(
        "", description="Microphone (sounddevice name or index; '' = default)."
    )
    output_device: str = Field("", description="Speaker (sounddevice name or index; '' = default).")
    vad_aggressiveness: int = Field(2, ge=0, le=3, description="WebRTC VAD: 0 lenient … 3 strict.")
    frame_ms: Literal[10, 20, 30] = Field(30, description="VAD frame length in milliseconds.")
    trailing_silence_ms: int = Field(600, ge=100, description="Silence that ends an utterance.")
    max_utterance_s: float = Field(10, gt=0, description="Longest question; longer is cut.")
    no_speech_timeout_s: float = Field(5, gt=0, description="Give up when nothing is said.")


class TriggerSettings(_Section):
    mode: Literal["key", "gpio", "wake"] = Field(
        "key", description="Push-to-talk by a key (Enter), a GPIO button, or a wake phrase."
    )
    gpio_pin: int = Field(17, ge=0, le=40, description="GPIO (BCM) pin of the button.")
    hold_s: float = Field(
        1.5, gt=0.2, le=10, description='Held this long, the button means "fel" (wrong answer).'
    )
    wake_phrase: str = Field("hej assistent", description="Phrase that wakes the assistant.")


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
    per_intent: int = Field(
        150, ge=10, le=2000, description="Template sentences per intent in the index."
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


class Settings(BaseSettings):
    """All settings of the device process."""

    model_config = SettingsConfigDict(
        env_prefix="HEMASSIST_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
    )

    data_dir: Path = Field(
        Path("~/.local/share/hemassist"),
        description="The device's data directory: encrypted store and key file.",
    )
    language: Literal["sv", "en"] = Field(
        "sv", description="Answer language when a question's language can't be told."
    )
    detect_language: bool = Field(
        True, description="Tell Swedish from English per question; false: always `language`."
    )
    timezone: str = Field("Europe/Stockholm", description="Time zone that answers speak in.")
    worker: str = Field(
        "", description='Practitioner id of the worker carrying the device ("" = whole team).'
    )
    store: StoreSettings = Field(
        default_factory=StoreSettings, description="The encrypted care-data store."
    )
    input: InputSettings = Field(
        default_factory=InputSettings, description="Limits on input from programs and files."
    )
    answers: AnswerSettings = Field(
        default_factory=AnswerSettings, description="How answers are given."
    )
    device: DeviceSettings = Field(
        default_factory=DeviceSettings, description="The device's identity."
    )
    telemetry: TelemetrySettings = Field(
        default_factory=TelemetrySettings, description="Usage statistics over MQTT."
    )
    models: ModelSettings = Field(default_factory=ModelSettings, description="Model files.")
    speech: SpeechSettings = Field(default_factory=SpeechSettings, description="Speech-to-text.")
    voice: VoiceSettings = Field(default_factory=VoiceSettings, description="Text-to-speech.")
    audio: AudioSettings = Field(default_factory=AudioSettings, description="Microphone, VAD.")
    trigger: TriggerSettings = Field(default_factory=TriggerSettings, description="Push-to-talk.")
    llm: LlmSettings = Field(default_factory=LlmSettings, description="The LLM fallback.")
    similar: SimilarSettings = Field(
        default_factory=SimilarSettings, description="Questions in other words."
    )
    dashboard: DashboardSettings = Field(
        default_factory=DashboardSettings, description="The supervisors' dashboard."
    )

    @field_validator("data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        files = [DEFAULTS_FILE, *_site_files()]
        # TomlConfigSettingsSource merges a list of files, later files winning.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, files))


def _site_files() -> list[Path]:
    site = os.environ.get(SITE_FILE_ENV, "").strip()
    return [Path(site).expanduser()] if site else []


def load_settings(**overrides: object) -> Settings:
    """Load the settings, turning every problem into a SettingsError that names its source."""
    for path in [DEFAULTS_FILE, *_site_files()]:
        if not path.is_file():
            raise SettingsError(f"settings file {path} does not exist ({SITE_FILE_ENV}?)")
        try:
            read_toml(path)
        except (tomllib.TOMLDecodeError, OSError, InputError) as exc:
            raise SettingsError(f"settings file {path} can't be read: {exc}") from None
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid setting: {problems}") from None
