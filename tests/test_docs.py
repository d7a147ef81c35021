"""The README and docs/ name only what exists: every `hemassist …` command they quote parses with
`--help`, every link points to a file (and heading) that is there, and every project path they
quote in code is in the checkout."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
from pathlib import Path

import pytest

from device.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"```.*?```", re.S)
_SPAN = re.compile(r"`([^`\n]+)`")
_COMMAND = re.compile(r"\bhemassist((?: +[a-z][a-z-]*)+)")
# What `hemassist provision fleet` writes into its output folder, named as the folder has it.
FLEET_OUTPUT = frozenset(
    {"dashboard/secrets.toml", "dashboard/fleet.toml", "dashboard/ca.pem", "dashboard/client.pem"}
)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_TOPS = "device|dashboard|provisioning|config|tests|bench|scripts|docs|models"
_PATH = re.compile(rf"(?<![\w./-])((?:{_TOPS})/[\w./*-]*)")


def _code(text: str) -> list[str]:
    """The text's code: fenced blocks and inline spans."""
    fenced = _FENCE.findall(text)
    return fenced + _SPAN.findall(_FENCE.sub("", text))


def _documented_commands() -> list[tuple[str, tuple[str, ...]]]:
    found: dict[tuple[str, ...], str] = {}
    for doc in DOCS:
        for code in _code(doc.read_text(encoding="utf-8")):
            for match in _COMMAND.finditer(code):
                found.setdefault(tuple(match.group(1).split()), doc.name)
    return sorted((doc, words) for words, doc in found.items())


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_the_docs_quote_commands() -> None:
    assert len(_documented_commands()) >= 20


@pytest.mark.parametrize(("doc", "words"), _documented_commands())
def test_each_documented_command_has_help(doc: str, words: tuple[str, ...]) -> None:
    parser = _parser()
    path: list[str] = []
    for word in words:  # the subcommands; what follows them are arguments
        choices = _subcommands(parser)
        if word not in choices:
            break
        path.append(word)
        parser = choices[word]
    assert path, f"{doc}: `hemassist {' '.join(words)}` is not a command"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as leaving:
        _parser().parse_args([*path, "--help"])
    assert leaving.value.code == 0 and "usage: hemassist" in out.getvalue()


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    text = _FENCE.sub("", doc.read_text(encoding="utf-8"))
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.name)
def test_every_link_and_path_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for target in _LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        linked = (doc.parent / file).resolve() if file else doc
        assert linked.exists(), f"{doc.name}: link to {target} (no such file)"
        if anchor and linked.suffix == ".md":
            assert anchor in _anchors(linked), f"{doc.name}: link to {target} (no such heading)"
    for code in _code(text):
        for quoted in _PATH.findall(code):
            quoted = quoted.rstrip(".,:;)/")
            if "…" in quoted or quoted.endswith(("/", "-")) or quoted in FLEET_OUTPUT:
                continue
            assert list(ROOT.glob(quoted)), f"{doc.name}: `{quoted}` is not in the checkout"
