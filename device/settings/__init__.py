"""Device settings: config/defaults.toml, then the site file named by HEMASSIST_CONFIG, then
HEMASSIST_… environment variables (``__`` between section and key). Settings are frozen."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from device.bounded import InputError, read_toml
from device.settings.sections import (
    CONFIG_DIR,
    DEFAULTS_FILE,
    PROJECT_ROOT,
    SITE_FILE_ENV,
    AnswerSettings,
    DashboardSettings,
    DeliverySettings,
    DeviceSettings,
    InputSettings,
    LlmSettings,
    ModelSettings,
    PartOfDay,
    SimilarSettings,
    StoreSettings,
    TelemetrySettings,
    default_models_dir,
)
from device.settings.speech import AudioSettings, SpeechSettings, TriggerSettings, VoiceSettings

__all__ = [
    "CONFIG_DIR",
    "DEFAULTS_FILE",
    "PROJECT_ROOT",
    "SITE_FILE_ENV",
    "AnswerSettings",
    "AudioSettings",
    "DashboardSettings",
    "DeliverySettings",
    "DeviceSettings",
    "InputSettings",
    "LlmSettings",
    "ModelSettings",
    "PartOfDay",
    "Settings",
    "SettingsError",
    "SimilarSettings",
    "SpeechSettings",
    "StoreSettings",
    "TelemetrySettings",
    "TriggerSettings",
    "VoiceSettings",
    "default_models_dir",
    "load_settings",
]


class SettingsError(Exception):
    """The settings can't be loaded; the message names the file or setting that is wrong."""


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
    delivery: DeliverySettings = Field(
        default_factory=DeliverySettings, description="Care data over the broker."
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
