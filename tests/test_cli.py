"""The command-line contract, tested in-process (and once as a real process)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from device.cli import main
from tests.conftest import EXAMPLE

ANSWER_KEYS = {
    "text",
    "language",
    "intent",
    "slots",
    "answer",
    "sources",
    "gated",
    "must_verify",
    "timings_ms",
}


@pytest.fixture
def imported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "Imported bundle example-majorna-2026-11-24" in out
    assert "4 Patient" in out


def test_ask_text_json(imported: None, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "ask",
            "--text",
            "Vad är portkoden till Greta?",
            "--now",
            "2026-11-24T10:00:00+01:00",
            "--json",
        ]
    )
    assert code == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer.keys() >= ANSWER_KEYS
    assert answer["intent"] == "access"
    assert answer["slots"] == {"client": "Patient/p-greta"}
    assert answer["gated"] is True
    assert "1990" not in answer["answer"]
    assert set(answer["timings_ms"]) >= {"recognize", "answer", "total"}


def test_ask_confirmed_reads_the_code(imported: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--text", "Vad är portkoden till Greta?", "--confirmed", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "Portkod 1990" in answer["answer"] and answer["gated"] is False


def test_ask_plain_text_output(imported: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--text", "Vilka mediciner tar Greta?"]) == 0
    out = capsys.readouterr().out
    assert "Metformin" in out and "must verify" in out and "MedicationRequest/p-greta-med1" in out


def test_ask_jsonl_keeps_a_session(
    imported: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEMASSIST_ANSWERS__ACCESS_CONFIRMATION", "spoken")
    lines = [
        {"text": "Vem är mitt nästa besök?", "now": "2026-11-24T09:00:00+01:00"},
        "this is not json",
        {"no": "text"},
        {"text": "Vad är portkoden till Bertil?", "now": "2026-11-24T09:00:00+01:00"},
        {"text": "Ja", "now": "2026-11-24T09:00:20+01:00"},
        {"text": "Who is the nurse?", "now": "yesterday"},
        {"text": "Who is the nurse?", "confirmed": False},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(["ask", "--jsonl"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 7
    assert out[0]["sources"] == ["Appointment/p-bertil-v1", "Patient/p-bertil"]
    assert out[0]["answer"].startswith("Det här är en automatisk assistent.")
    assert "line 2" in out[1]["error"] and "line 3" in out[2]["error"]
    assert out[3]["gated"] is True and "Säg ja" in out[3]["answer"]
    assert out[4]["intent"] == "access" and "Digitalt lås" in out[4]["answer"]
    assert "line 6" in out[5]["error"]
    assert out[6]["language"] == "en" and "automated" not in out[6]["answer"]


def test_ask_jsonl_answers_odd_digits_and_goes_on(
    imported: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "²" is a digit to str.isdigit() but not to int(): it once ended the stream."""
    lines = ["vad har jag efter klockan ²", "klockan ³ ⁴", "Vem är sjuksköterskan?"]
    stdin = "".join(
        json.dumps({"text": t, "now": "2026-11-24T07:30:00+01:00"}) + "\n" for t in lines
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(["ask", "--jsonl"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 3
    assert all(o["outcome"] != "error" for o in out)
    assert out[2]["intent"] == "escalation"


def test_a_fault_while_answering_is_an_apology_and_the_stream_goes_on(
    imported: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from device.answers import handlers

    def broken(ask: object, rec: object) -> object:
        raise RuntimeError("Bertil Nilsson, portkod 4711")  # care data in the message

    monkeypatch.setitem(handlers.HANDLERS, "next_visit", broken)
    lines = ["Vem är mitt nästa besök?", "Vem är sjuksköterskan?"]
    stdin = "".join(json.dumps({"text": t}) + "\n" for t in lines)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with caplog.at_level(logging.DEBUG):
        assert main(["ask", "--jsonl"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["outcome"] == "error" and out[0]["answer"].startswith("Förlåt")
    assert out[0]["sources"] == []
    assert out[1]["intent"] == "escalation" and out[1]["outcome"] != "error"
    assert "RuntimeError" in caplog.text
    assert "Bertil" not in caplog.text and "4711" not in caplog.text
    assert "nästa besök" not in caplog.text


def test_ask_without_data_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--text", "Vem är mitt nästa besök?", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert "ingen vårddata" in answer["answer"].lower()
    assert answer["sources"] == []


def test_bad_now_is_a_usage_error(imported: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ask", "--text", "Hjälp", "--now", "i morgon"])
    assert exited.value.code == 2
    assert "--now" in capsys.readouterr().err


def test_import_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["import-fhir", str(tmp_path / "missing.json")]) == 1
    assert "can't read the file" in capsys.readouterr().err


def test_status(imported: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["bundle_id"] == "example-majorna-2026-11-24"
    assert status["counts"]["Patient"] == 4


def test_unsafe_key_is_a_clear_error(
    imported: None, capsys: pytest.CaptureFixture[str], isolated_env: Path
) -> None:
    (isolated_env / "care.key").chmod(0o644)
    assert main(["ask", "--text", "Hjälp"]) == 1
    assert "chmod 600" in capsys.readouterr().err


def test_nothing_personal_is_logged(
    imported: None, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for question in [
        "Vad är portkoden till Anna?",
        "Vad har Annas dotter för nummer?",
        "Var bor Greta?",
        "Vilka mediciner tar Greta?",
    ]:
        assert main(["-v", "ask", "--text", question, "--confirmed"]) == 0
    logged = caplog.text + capsys.readouterr().err
    for secret in ["Anna", "Greta", "4512", "070-123", "Karl Johansgatan", "Metformin", "portkod"]:
        assert secret.lower() not in logged.lower()


def test_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--bundle", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "Nästa besök: Anna Andersson" in out
    assert "Portkod 4512" in out  # only after the confirmation step at the end


@pytest.mark.slow
def test_console_script_help() -> None:
    result = subprocess.run(
        [Path(sys.executable).parent / "hemassist", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "import-fhir" in result.stdout and "ask" in result.stdout
