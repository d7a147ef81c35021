"""IT's way to production models: `models pin` hashes what was downloaded from the vendor (and
checks Piper's published MD5s), records it in the site manifest, and devices then install from
a mirror folder with every file checked against the pins. The files here stand in for the
vendor's downloads (the real ones can't be fetched on this machine); the manifest entries,
commands and checks are the real ones."""

from __future__ import annotations

import hashlib
import json
import tomllib
import zipfile
from pathlib import Path

import pytest

from device.cli import main
from device.models.manifest import load_manifest
from device.models.site import load_site

ONNX = b"onnx weights " * 4000
CONFIG = b'{"audio": {"sample_rate": 22050}}'


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _piper_download(folder: Path, onnx: bytes = ONNX) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sv_SE-nst-medium.onnx").write_bytes(onnx)
    (folder / "sv_SE-nst-medium.onnx.json").write_bytes(CONFIG)
    voices = {
        "sv_SE-nst-medium": {
            "files": {
                "sv/sv_SE/nst/medium/sv_SE-nst-medium.onnx": {
                    "size_bytes": len(ONNX),
                    "md5_digest": _md5(ONNX),
                },
                "sv/sv_SE/nst/medium/sv_SE-nst-medium.onnx.json": {
                    "size_bytes": len(CONFIG),
                    "md5_digest": _md5(CONFIG),
                },
            }
        }
    }
    (folder / "voices.json").write_text(json.dumps(voices))
    return folder


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv("HEMASSIST_MODELS__DIR", str(folder))
    return folder


def test_a_piper_voice_pinned_then_installed_from_a_mirror(
    tmp_path: Path, models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "install", "piper-sv-nst", "--from", str(tmp_path)]) == 1
    assert "models pin piper-sv-nst" in capsys.readouterr().err  # what IT should do
    download = _piper_download(tmp_path / "download")
    assert main(["models", "pin", "piper-sv-nst", "--from", str(download)]) == 0
    assert "MD5 checked against the vendor's voices.json" in capsys.readouterr().out
    site = tomllib.loads((tmp_path / "site-manifest.toml").read_text())
    (pinned,) = site["model"]
    assert pinned["name"] == "piper-sv-nst"
    assert {f["path"]: f["size"] for f in pinned["files"]} == {
        "voice.onnx": len(ONNX),
        "voice.onnx.json": len(CONFIG),
    }
    assert pinned["files"][0]["sha256"] == hashlib.sha256(ONNX).hexdigest()

    # A device provisioned with the site manifest installs from the mirror and verifies.
    assert main(["models", "install", "piper-sv-nst", "--from", str(download)]) == 0
    assert (models_dir / "piper-sv-nst" / "voice.onnx").read_bytes() == ONNX
    assert main(["models", "verify", "piper-sv-nst"]) == 0

    # A mirror whose file was changed after pinning installs nothing.
    mirror = _piper_download(tmp_path / "mirror", onnx=ONNX[:-1] + b"!")
    assert main(["models", "install", "piper-sv-nst", "--from", str(mirror)]) == 0  # in place
    (models_dir / "piper-sv-nst" / "voice.onnx").unlink()
    capsys.readouterr()
    assert main(["models", "install", "piper-sv-nst", "--from", str(mirror)]) == 1
    assert "voice.onnx: sha256 is" in capsys.readouterr().err
    assert not (models_dir / "piper-sv-nst" / "voice.onnx").exists()


def test_a_download_that_differs_from_the_vendors_digest_is_not_pinned(
    tmp_path: Path, models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    download = _piper_download(tmp_path / "download")
    (download / "sv_SE-nst-medium.onnx").write_bytes(ONNX[:1000])  # a broken download
    assert main(["models", "pin", "piper-sv-nst", "--from", str(download)]) == 1
    err = capsys.readouterr().err
    assert "sv_SE-nst-medium.onnx does not match the vendor's published digest" in err
    assert load_site(tmp_path / "site-manifest.toml") == {}
    (download / "sv_SE-nst-medium.onnx.json").unlink()
    (download / "voices.json").unlink()
    assert main(["models", "pin", "piper-sv-nst", "--from", str(download)]) == 1
    assert "sv_SE-nst-medium.onnx.json is not in" in capsys.readouterr().err
    assert main(["models", "pin", "whisper-base", "--from", str(download)]) == 1
    assert "nothing to pin" in capsys.readouterr().err


def test_a_vosk_archive_pinned_and_unpacked_file_by_file(
    tmp_path: Path, models_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    entry = load_manifest().get("vosk-sv-small")
    prefix = entry.source.strip  # type: ignore[union-attr]
    download = tmp_path / "download"
    download.mkdir()
    archive = download / "vosk-model-small-sv-rhasspy-0.15.zip"
    files = {"am/final.mdl": b"acoustic " * 500, "conf/model.conf": b"--min-active=200\n"}
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(prefix, b"")
        for name, data in files.items():
            zipped.writestr(prefix + name, data)
    assert main(["models", "pin", "vosk-sv-small", "--from", str(download)]) == 0
    pins = load_site(tmp_path / "site-manifest.toml")
    pin = pins["vosk-sv-small"]
    assert pin.archive_sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert sorted(f.path for f in pin.files) == sorted(files)
    assert main(["models", "install", "vosk-sv-small", "--from", str(download)]) == 0
    for name, data in files.items():
        assert (models_dir / "vosk-sv-small" / name).read_bytes() == data
    assert main(["models", "verify", "vosk-sv-small"]) == 0
    # The status now finds the pinned model as installed.
    capsys.readouterr()
    assert main(["models", "list"]) == 0
    assert any(
        line.startswith("vosk-sv-small") and "installed" in line
        for line in capsys.readouterr().out.splitlines()
    )
