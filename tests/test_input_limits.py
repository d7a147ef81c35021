"""Every input the device reads is strict and bounded: jsonl lines, --now, WAV files, bundles,
settings and manifest files. A bad input is an error for that input alone, quoting little."""

from __future__ import annotations

import io
import json
import struct
import sys
import tracemalloc
import wave
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from device.bounded import InputError, bounded_lines, loads_bounded, quote, too_deep
from device.cli import answer_lines, main
from device.commands.common import assistant_for
from device.requests import AskRequest, RequestLimits, parse_request
from device.settings import Settings, SettingsError, load_settings
from device.speech.audio import AudioError, read_wav
from tests.conftest import EXAMPLE, MORNING

CODES = ("4512", "1990", "7733")
ACCESS = "Vad är portkoden till Anna?"
LIMITS = RequestLimits(max_line_bytes=16 * 1024, max_depth=16, max_question_chars=500)


@pytest.fixture
def imported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-fhir", str(EXAMPLE)]) == 0
    capsys.readouterr()


def _stream(lines: list[bytes]) -> io.TextIOWrapper:
    """stdin as the command sees it: text over bytes, so a line may hold any bytes."""
    return io.TextIOWrapper(io.BytesIO(b"".join(line + b"\n" for line in lines)))


def _run_lines(settings: Settings, assistant: Any, lines: list[bytes]) -> list[dict[str, Any]]:
    out = io.StringIO()
    answer_lines(settings, assistant, lambda *a, **k: None, MORNING, False, _stream(lines), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


# --- the request model ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["false", "nej", "true", 1, 0, [], {}, None, "ja"])
def test_confirmed_is_only_json_true(value: object) -> None:
    raw = json.dumps({"text": ACCESS, "confirmed": value}).encode()
    assert parse_request(raw, LIMITS) == "confirmed must be true or false"


def test_confirmed_true_and_false_and_absent() -> None:
    yes = parse_request(json.dumps({"text": ACCESS, "confirmed": True}).encode(), LIMITS)
    no = parse_request(json.dumps({"text": ACCESS, "confirmed": False}).encode(), LIMITS)
    absent = parse_request(json.dumps({"text": ACCESS}).encode(), LIMITS)
    assert isinstance(yes, AskRequest) and yes.is_confirmed(False)
    assert isinstance(no, AskRequest) and not no.is_confirmed(True)
    assert isinstance(absent, AskRequest)
    assert not absent.is_confirmed(False) and absent.is_confirmed(True)  # the CLI's --confirmed


@pytest.mark.parametrize(
    ("line", "says"),
    [
        (b'{"text": 5}', "text must be a string"),
        (b'{"text": ""}', "text must be a string"),
        (b'{"text": "   "}', "text is empty"),
        (b'{"now": "2026-11-24T08:00"}', 'no "text"'),
        (b'{"text": "Hj\\u00e4lp", "now": 7}', "now must be an ISO 8601"),
        (b'{"text": "Hj\\u00e4lp", "confirmd": true}', "unknown field 'confirmd'"),
        (b"[1, 2]", "needs an object"),
        (b"not json", "not JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 10_000, "deeper than 16 levels"),
        (b"[" * 100_000, "more than the limit of 16,384"),
        (json.dumps({"text": "x" * 501}).encode(), "more than the limit of 500"),
    ],
)
def test_each_bad_line_names_its_problem(line: bytes, says: str) -> None:
    problem = parse_request(line, LIMITS)
    assert isinstance(problem, str) and says in problem
    assert len(problem) < 160


def test_an_unknown_field_is_quoted_short() -> None:
    problem = parse_request(json.dumps({"text": "Hjälp", "k" * 10_000: 1}).encode(), LIMITS)
    assert isinstance(problem, str) and len(problem) < 160


# --- bounded primitives ---------------------------------------------------------------------


def test_too_deep_ignores_brackets_inside_strings() -> None:
    assert not too_deep(json.dumps({"text": "[" * 1000}), 4)
    assert too_deep("[" * 5, 4) and not too_deep("[[[[]]]]", 4)
    assert too_deep('{"a": {"b": {"c": {"d": {"e": 1}}}}}', 4)


@given(
    st.recursive(
        st.none() | st.integers() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_too_deep_agrees_with_the_parsed_depth(value: object) -> None:
    def depth(v: object) -> int:
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        return 0

    raw = json.dumps(value)
    for limit in range(0, 6):
        assert too_deep(raw, limit) == (depth(value) > limit)


def test_loads_bounded_checks_size_before_parsing() -> None:
    with pytest.raises(InputError, match="more than the limit"):
        loads_bounded(b"1" * 101, 100, 10)


def test_bounded_lines_skips_an_overlong_line_without_holding_it() -> None:
    data = b'{"text": "a"}\n' + b"x" * 1_000_000 + b"\n" + b'{"text": "b"}\n'
    lines = list(bounded_lines(io.BytesIO(data), 1000))
    assert lines == [(1, b'{"text": "a"}'), (2, None), (3, b'{"text": "b"}')]


def test_quote_keeps_a_short_prefix() -> None:
    assert quote("abc") == "'abc'"
    assert quote("x" * 100_000).startswith("'xxxx") and len(quote("x" * 100_000)) < 60


# --- the jsonl stream -----------------------------------------------------------------------


def test_confirmed_false_as_a_string_keeps_the_code_back(
    imported: None, settings: Settings
) -> None:
    assistant = assistant_for(settings)
    lines = [
        json.dumps({"text": ACCESS, "confirmed": "false"}).encode(),
        json.dumps({"text": ACCESS, "confirmed": "nej"}).encode(),
        json.dumps({"text": ACCESS}).encode(),
        json.dumps({"text": ACCESS, "confirmed": True}).encode(),
    ]
    out = _run_lines(settings, assistant, lines)
    assert out[0] == {"error": "line 1: confirmed must be true or false"}
    assert out[1] == {"error": "line 2: confirmed must be true or false"}
    assert out[2]["gated"] and "4512" not in out[2]["answer"]
    assert "4512" in out[3]["answer"]


def test_a_deep_line_does_not_end_the_stream(imported: None, settings: Settings) -> None:
    assistant = assistant_for(settings)
    lines = [
        b"[" * 10_000,
        b"[" * 100_000,
        b"\xff\xff",
        '{"text": "Vem är sjuksköterskan?"}'.encode(),
    ]
    out = _run_lines(settings, assistant, lines)
    assert out[0]["error"] == "line 1: the line is nested deeper than 16 levels"
    assert "longer than 16,384 bytes" in out[1]["error"]
    assert "not UTF-8" in out[2]["error"]
    assert "Sara Holm" in out[3]["answer"]
    assert all(len(json.dumps(o)) < 200 for o in out[:3])


def test_a_bad_now_in_a_line_is_quoted_short(imported: None, settings: Settings) -> None:
    assistant = assistant_for(settings)
    out = _run_lines(settings, assistant, [json.dumps({"text": "Hjälp", "now": "x" * 60}).encode()])
    assert out[0]["error"].startswith("line 1: now:")


_VALID = [
    "Vem är mitt nästa besök?",
    ACCESS,
    "Vad är portkoden till Greta?",
    "Har Greta några allergier?",
]
_line = st.one_of(
    st.builds(lambda t: json.dumps({"text": t}).encode(), st.sampled_from(_VALID)),
    st.builds(
        lambda t, c: json.dumps({"text": t, "confirmed": c}).encode(),
        st.sampled_from(_VALID),
        st.one_of(
            st.text(max_size=8), st.integers(), st.none(), st.lists(st.booleans(), max_size=2)
        ),
    ),
    st.builds(lambda n: b"[" * n, st.integers(1, 50_000)),
    st.builds(lambda n: b"{" * n + b"}" * n, st.integers(17, 2000)),
    st.builds(lambda n: json.dumps({"text": "a" * n}).encode(), st.integers(501, 40_000)),
    st.binary(min_size=1, max_size=200).filter(lambda b: b"\n" not in b and b.strip()),
    st.builds(
        lambda v: json.dumps(v).encode(),
        st.one_of(st.integers(), st.text(max_size=10), st.lists(st.integers(), max_size=3)),
    ),
)


def test_jsonl_stream_one_output_per_line_and_no_code_unconfirmed(
    imported: None, settings: Settings
) -> None:
    assistant = assistant_for(settings)

    @given(st.lists(_line, min_size=1, max_size=12))
    @hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def check(lines: list[bytes]) -> None:
        lines = [line for line in lines if line.strip(b" \t\r\x0b\x0c")]
        out = _run_lines(settings, assistant, lines)
        assert len(out) == len(lines)
        for raw, answer in zip(lines, out, strict=True):
            valid = parse_request(raw, LIMITS)
            if isinstance(valid, AskRequest):
                assert "answer" in answer  # every valid question is answered
            else:
                assert "error" in answer and len(answer["error"]) < 200
            # No request here says confirmed: true, so no code is ever read.
            assert not any(code in json.dumps(answer) for code in CODES)

    check()


# --- --now, WAV, bundle, settings, manifest --------------------------------------------------


def test_a_huge_bad_now_is_quoted_short(imported: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ask", "--text", "Hjälp", "--now", "x" * 100_000])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "--now" in err and len(err) < 1000


def _wav(path: Path, seconds: float, rate: int = 16_000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        block = b"\x01\x00" * rate
        for _ in range(int(seconds)):
            out.writeframes(block)
    return path


def test_a_ten_minute_wav_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    long = _wav(tmp_path / "long.wav", 600)  # 19 MB on disk
    tracemalloc.start()
    with pytest.raises(AudioError, match="longer than the 60 s"):
        read_wav(long, max_seconds=60, max_bytes=50_000_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 4_000_000  # at most 60 s + one frame was read (1.9 MB)


def test_a_wav_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"input\.max_wav_mb"):
        read_wav(_wav(tmp_path / "big.wav", 10), max_seconds=60, max_bytes=100_000)


def test_a_wav_whose_header_lies_is_still_bounded(tmp_path: Path) -> None:
    path = _wav(tmp_path / "lie.wav", 120)
    raw = bytearray(path.read_bytes())
    raw[40:44] = struct.pack("<I", 0xFFFFFFFF)  # the data chunk claims 4 GB
    path.write_bytes(bytes(raw))
    with pytest.raises(AudioError, match="longer than"):
        read_wav(path, max_seconds=60)


def test_a_short_wav_reads(tmp_path: Path) -> None:
    chunk = read_wav(_wav(tmp_path / "ok.wav", 2), max_seconds=60)
    assert chunk.seconds == pytest.approx(2)


def test_ask_wav_refuses_a_long_file_with_exit_1(
    imported: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ask", "--wav", str(_wav(tmp_path / "long.wav", 90))]) == 1
    assert "input.max_wav_s" in capsys.readouterr().err


def test_a_deeply_nested_bundle_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "deep.json"
    bundle.write_text('{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert main(["import-fhir", str(bundle)]) == 1
    err = capsys.readouterr().err
    assert "deeper than 48 levels (input.max_bundle_depth)" in err
    assert "RecursionError" not in err


def test_a_deeply_nested_settings_file_is_a_settings_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site.toml"
    site.write_text("x = " + "[" * 50_000 + "]" * 50_000 + "\n")
    monkeypatch.setenv("HEMASSIST_CONFIG", str(site))
    with pytest.raises(SettingsError, match="can't be read"):
        load_settings()


def test_a_huge_settings_file_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site.toml"
    site.write_text("# " + "x" * 2_000_000 + "\n")
    monkeypatch.setenv("HEMASSIST_CONFIG", str(site))
    with pytest.raises(SettingsError, match="more than the limit"):
        load_settings()


def test_a_bad_environment_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEMASSIST_INPUT__MAX_WAV_S", "1e9")
    with pytest.raises(SettingsError, match=r"input\.max_wav_s"):
        load_settings()


def test_stdin_without_a_buffer_still_works(imported: None, settings: Settings) -> None:
    assistant = assistant_for(settings)
    out = io.StringIO()
    answer_lines(
        settings, assistant, lambda *a, **k: None, MORNING, False,
        io.StringIO('{"text": "Hjälp"}\n'), out,
    )  # fmt: skip
    assert json.loads(out.getvalue())["intent"] == "help"
    assert sys.stdin is not None


def test_an_overlong_text_argument_is_a_usage_error(
    imported: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ask", "--text", "Vem " * 10_000])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "input.max_question_chars" in err and len(err) < 1000
