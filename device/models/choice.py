"""Which installed model each part of the assistant uses: one rule for every command.

Speech-to-text takes the configured engine's model; when it is not installed, the other engine's
configured model, then any installed speech-to-text model for the device's language (or a
multilingual one), and says so. Voices fall back to espeak-ng; the LLM has no fallback.
``hemassist status`` and ``provision selftest`` print these choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from device.models.install import model_path
from device.models.manifest import Manifest, ModelError
from device.models.site import manifest_for
from device.settings import Settings

_ENGINE_OF_ROLE = {"stt-vosk": "vosk", "stt-whisper": "whisper"}


@dataclass(frozen=True)
class Choice:
    part: str  # "speech-to-text", "voice-sv", "voice-en", "llm"
    configured: str  # the model the settings name ("" when the part is switched off)
    used: str | None  # the installed model in use; None when none is
    path: Path | None = None
    engine: str = ""  # speech-to-text: "vosk" or "whisper"
    note: str = ""  # why the configured model is not the one in use

    def as_dict(self) -> dict[str, str | None]:
        return {
            "configured": self.configured,
            "used": self.used,
            **({"engine": self.engine} if self.engine else {}),
            **({"note": self.note} if self.note else {}),
        }


def _installed(manifest: Manifest, name: str, models_dir: Path) -> Path | None:
    try:
        return model_path(manifest.get(name), models_dir)
    except ModelError:
        return None


def choose_stt(settings: Settings, manifest: Manifest | None = None) -> Choice:
    manifest = manifest or manifest_for(settings)
    speech, models_dir = settings.speech, settings.models.dir
    configured = speech.vosk_model if speech.engine == "vosk" else speech.whisper_model
    other = (
        ("whisper", speech.whisper_model)
        if speech.engine == "vosk"
        else ("vosk", speech.vosk_model)
    )
    candidates = [(speech.engine, configured), other]
    for entry in manifest.models:
        engine = _ENGINE_OF_ROLE.get(entry.role)
        if engine and entry.language in (settings.language, "multilingual"):
            candidates.append((engine, entry.name))
    for engine, name in candidates:
        path = _installed(manifest, name, models_dir)
        if path is not None:
            note = "" if name == configured else f"{configured} is not installed in {models_dir}"
            return Choice("speech-to-text", configured, name, path, engine, note)
    return Choice(
        "speech-to-text",
        configured,
        None,
        note=f"no speech-to-text model for {settings.language!r} is installed in {models_dir}: "
        f"run `hemassist models install {configured}` (or another listed by `models list`)",
    )


def choose_voice(settings: Settings, language: str, manifest: Manifest | None = None) -> Choice:
    manifest = manifest or manifest_for(settings)
    voice = settings.voice
    name, espeak = (
        (voice.piper_sv, voice.espeak_sv) if language == "sv" else (voice.piper_en, voice.espeak_en)
    )
    path = _installed(manifest, name, settings.models.dir)
    if path is not None:
        return Choice(f"voice-{language}", name, name, path)
    return Choice(f"voice-{language}", name, f"espeak-ng:{espeak}", note=f"{name} is not installed")


def choose_llm(settings: Settings, manifest: Manifest | None = None) -> Choice:
    if not settings.llm.enabled:
        return Choice("llm", "", None, note="llm.enabled is false")
    manifest = manifest or manifest_for(settings)
    name = settings.llm.model
    path = _installed(manifest, name, settings.models.dir)
    if path is None:
        return Choice("llm", name, None, note=f"{name} is not installed in {settings.models.dir}")
    return Choice("llm", name, name, path)


def model_choices(settings: Settings) -> list[Choice]:
    """Every part's choice, for `status` and `provision selftest` (no care data in them)."""
    try:
        manifest = manifest_for(settings)
    except ModelError as exc:
        return [Choice("manifest", "", None, note=str(exc))]
    return [
        choose_stt(settings, manifest),
        choose_voice(settings, "sv", manifest),
        choose_voice(settings, "en", manifest),
        choose_llm(settings, manifest),
    ]
