"""Settings: defaults, site file, environment; every setting documented."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from device.settings import (
    DEFAULTS_FILE,
    PROJECT_ROOT,
    AnswerSettings,
    Settings,
    SettingsError,
    StoreSettings,
    load_settings,
)
from device.settings_reference import reference


def _leaves(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str | None]]:
    out = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += _leaves(annotation, f"{prefix}{name}.")
        else:
            out.append((prefix + name, info.description))
    return out


def test_every_setting_is_documented() -> None:
    defaults = tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    defaults_text = DEFAULTS_FILE.read_text(encoding="utf-8")
    reference = (PROJECT_ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for dotted, description in _leaves(Settings):
        assert description, f"{dotted} has no description"
        section, _, key = dotted.rpartition(".")
        table = defaults.get(section, {}) if section else defaults
        assert key in table, f"{dotted} missing from config/defaults.toml"
        # A comment line right above the key in defaults.toml says what it is for.
        lines = defaults_text.splitlines()
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
        assert lines[index - 1].startswith("#"), f"{dotted} has no comment in defaults.toml"
        env = "HEMASSIST_" + dotted.upper().replace(".", "__")
        assert f"`{env}`" in reference, f"{env} is not in docs/settings.md"


def test_the_settings_reference_is_generated_from_the_model() -> None:
    # A setting added, removed or redescribed without regenerating the reference fails here.
    written = (PROJECT_ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert written == reference(), (
        "docs/settings.md is out of date: run "
        "`.venv/bin/python -m device.settings_reference > docs/settings.md`"
    )


def test_defaults_file_matches_the_model_defaults() -> None:
    defaults = tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    for section, model in (("", Settings), ("store", StoreSettings), ("answers", AnswerSettings)):
        table = defaults.get(section, {}) if section else defaults
        for name, info in model.model_fields.items():
            if name in table and not isinstance(table[name], dict):
                assert type(info.default)(table[name]) == info.default, f"{section}.{name}"


def test_site_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site.toml"
    site.write_text('language = "en"\nworker = "w-lina"\n[store]\nretention_days = 7\n')
    monkeypatch.setenv("HEMASSIST_CONFIG", str(site))
    monkeypatch.setenv("HEMASSIST_STORE__RETENTION_DAYS", "3")
    loaded = load_settings()
    assert (loaded.language, loaded.worker, loaded.store.retention_days) == ("en", "w-lina", 3)
    assert loaded.store.max_bundle_mb == 50  # untouched default survives the nested merge


@pytest.mark.parametrize(
    ("content", "mention"),
    [
        ("language = 'de'\n", "language"),
        ("[store]\nmax_bundle_mb = -1\n", "store.max_bundle_mb"),
        ("colour = 'blue'\n", "colour"),
        ("timezone = 'Mars/Olympus'\n", "unknown time zone"),
        ("this is not toml", "can't be read"),
    ],
)
def test_bad_site_file_names_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, mention: str
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(content)
    monkeypatch.setenv("HEMASSIST_CONFIG", str(site))
    with pytest.raises(SettingsError, match=mention):
        load_settings()


def test_missing_site_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEMASSIST_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings()


def test_settings_are_frozen(settings: Settings) -> None:
    with pytest.raises(Exception, match="frozen"):
        settings.language = "en"  # type: ignore[misc]
