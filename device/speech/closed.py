"""Closed-domain recognition: choose among the sentences the templates accept, by how well each
fits the audio, or refuse and let the free transcript through.

Pure: the engine scores texts (mean log-probability per token, from its own decoder given the
audio); this module shortlists the sentences worth scoring (closest to the free transcript and to
the transcripts written with the templates' words only) and decides. A sentence is chosen only
when it is nearly as likely as the engine's own free transcript and clearly likelier than the
best sentence that *means something else* (another intent, another client): two sentences with
the same meaning ("vem är mitt nästa besök" / "vem är nästa besök") don't compete, and only
when it still resembles the free transcript in spelling or sound (Whisper's scores alone let
off-domain speech through as a question now and then). Short of that, the likeliest reading may be
said back for a yes or no ("Menar du …?", ``AskBack``) rather than refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz import fuzz, process

from device.nlu.text import normalize

_SENTENCE_END = re.compile(r"[.?!]")

# Swedish spellings that sound alike, folded so "sjuksköterska" and "schuksöterska" match.
_SOUNDS = [
    (re.compile(r"(sch|skj|stj|sj|sk(?=[eiyäö]))"), "x"),
    (re.compile(r"(tj|kj|k(?=[eiyäö]))"), "c"),
    (re.compile(r"(dj|gj|hj|lj|g(?=[eiyäö]))"), "j"),
    (re.compile(r"ck"), "k"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"[wv]"), "v"),
    (re.compile(r"z"), "s"),
    (re.compile(r"[eä]"), "e"),
    (re.compile(r"[oå]"), "o"),
    (re.compile(r"(.)\1+"), r"\1"),
]


def sound_key(text: str) -> str:
    """A rough Swedish sound spelling of normalised text, for shortlisting misheard words."""
    for pattern, replacement in _SOUNDS:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Domain:
    """The sentences of one language and their sound keys, built once per care-data snapshot."""

    sentences: Sequence[str]
    keys: Sequence[str]
    vocabulary: frozenset[str] = frozenset()  # every word of the sentences

    @staticmethod
    def of(sentences: Sequence[str]) -> Domain:
        words: dict[str, str] = {}  # a few hundred words make up every sentence: key each once

        def key(sentence: str) -> str:
            return " ".join(
                words[w] if w in words else words.setdefault(w, sound_key(w))
                for w in sentence.split()
            )

        keys = [key(s) for s in sentences]
        return Domain(sentences, keys, frozenset(words))

    def shortlist(
        self,
        heard: str,
        limit: int,
        meaning: Callable[[str], Hashable | None] | None = None,
        meanings: int = 2,
    ) -> list[str]:
        """The ``limit`` sentences closest to the free transcript by spelling and as many by sound
        (plain edit ratio: measured faster and closer than token-set or weighted ratios on
        misheard Swedish); with ``meaning``, then the next closest with other meanings until
        ``meanings`` are there: a sentence with no rival to beat was chosen on its own too often
        ("vem är det nu" for "vem är sjuksköterskan")."""
        return self.shortlists([heard], [limit], meaning, meanings)

    def shortlists(
        self,
        heard: Sequence[str],
        limits: Sequence[int],
        meaning: Callable[[str], Hashable | None] | None = None,
        meanings: int = 2,
    ) -> list[str]:
        """``shortlist`` of several transcripts of one utterance (the free one, the constrained
        ones), each with its own limit, joined in order without repeats. All are compared with
        every sentence in one call on every core (rapidfuzz ``cdist``: 4 transcripts in about
        the time of 1 compared one by one)."""
        queries = [(text, limit) for text, limit in zip(heard, limits, strict=True) if text]
        if not queries or not self.sentences:
            return []
        spelled = _closest([q for q, _ in queries], self.sentences, [n * 3 for _, n in queries])
        sounded = _closest(
            [sound_key(q) for q, _ in queries], self.keys, [n * 3 for _, n in queries]
        )
        chosen: list[str] = []
        for (_query, limit), by_spelling, by_sound in zip(queries, spelled, sounded, strict=True):
            ranked = [[self.sentences[i] for i in ids] for ids in (by_spelling, by_sound)]
            found = list(dict.fromkeys([*ranked[0][:limit], *ranked[1][:limit]]))
            if meaning is not None:
                seen = {meaning(text) for text in found} - {None}
                after = zip(ranked[0][limit:], ranked[1][limit:], strict=False)  # spelling, sound
                for text in (t for pair in after for t in pair):
                    if len(seen) >= meanings:
                        break
                    key = meaning(text)
                    if key is not None and key not in seen:
                        seen.add(key)
                        found.append(text)
            chosen.extend(found)
        return list(dict.fromkeys(chosen))


def _closest(queries: list[str], choices: Sequence[str], counts: list[int]) -> list[list[int]]:
    """For each query, the indices of its ``count`` closest choices by edit ratio, closest first
    (ties in the choices' order)."""
    ratios = process.cdist(queries, choices, scorer=fuzz.ratio, workers=-1, dtype=np.float32)
    out = []
    for row, count in zip(ratios, counts, strict=True):
        count = min(count, len(choices))
        top = np.argpartition(-row, count - 1)[:count]
        out.append(top[np.lexsort((top, -row[top]))].tolist())
    return out


def echoes(heard: str, prompt: str) -> bool:
    """Does the normalised free transcript repeat one of the prompt's sentences, or a run of its
    words? (Whisper copies its prompt now and then, whatever was said: "Nästa besök." for "När
    ska jag till Yusuf?")"""
    said = f" {normalize(heard)} "
    return said.strip() != "" and any(
        said in f" {normalize(part)} " for part in _SENTENCE_END.split(prompt)
    )


def resemblance(heard: str, sentence: str) -> float:
    """How alike (0–100) the normalised free transcript and a sentence are, in spelling or sound."""
    return max(fuzz.ratio(heard, sentence), fuzz.ratio(sound_key(heard), sound_key(sentence)))


def names_heard(sentence: str, names: Collection[str], heard: Sequence[str], floor: float) -> bool:
    """Does every name of ``sentence`` (its words in ``names``) sound like part of something
    Whisper wrote (``heard``: the free and constrained transcripts), at least ``floor`` (0–100)?
    When not, the audio alone chose the person: "Vad har Olle för medicin?", heard "Vad har hon
    några för medicin?", fitted "vad har anna för medicin" best, and Anna's medicines would have
    been read out. Misheard names still match in part ("hos Karl" written "vuskar")."""
    keys = [sound_key(normalize(text)) for text in heard if text.strip()]
    return all(
        any(fuzz.partial_ratio(sound_key(word), key) >= floor for key in keys)
        for word in sentence.split()
        if word in names
    )


OUT_OF_GRAMMAR = "out of the grammar: the free transcript is likelier"
NAME_NOT_HEARD = "a name in it was not heard"


@dataclass(frozen=True)
class Verdict:
    """What closed-domain recognition decided, and the figures it decided on."""

    candidate: str | None  # the chosen sentence, or None: use the free transcript
    reason: str  # chosen | nothing to score | less likely than the free transcript | too close
    # | unlike the free transcript; "asking back: " and the reason when ``ask``
    score: float | None = None
    free_score: float | None = None
    runner_up: float | None = None
    resemblance: float | None = None
    ask: bool = False  # not sure enough to answer: say ``candidate`` back and wait for a yes
    other: str | None = None  # or ask which of ``candidate`` and this she meant (two clients)


@dataclass(frozen=True)
class AskBack:
    """When a reading not clear enough to choose is still worth saying back for a yes or no:
    within ``slack`` of the free transcript, ``margin`` ahead of every other meaning, and said
    back (``restate``: the words the worker hears, None when it can't be said back) unlike every
    meaning nearly as likely, so that her "ja" settles it (a reading of Greta's lunch and one of
    Greta's evening are both said back as "vad du ska göra hos Greta": no use asking).
    A sentence of fewer than ``min_words`` words is at most said back, never answered at once: a
    few tokens give the decoder little to tell sentences apart by (short templates such as "vem är
    det sen" won "Vem är Maria?" and "Vem är sjuksköterskan?" by a clear margin), unless it
    ``names`` a person (who must still be heard) and stands ``named_margin`` ahead of every other
    meaning: a name gives the decoder sounds to tell sentences apart by ("vilka mediciner har
    kajsa", heard "Vilka med i scenen tolkar Kajsa?", 1.8 ahead)."""

    slack: float
    margin: float
    restate: Callable[[str], str | None]
    min_words: int = 0
    names: Callable[[str], bool] | None = None
    named_margin: float = float("inf")
    # Are two readings the same question about two clients? Then, too close to tell apart and
    # clear of every other meaning, she is asked which one ("Greta Nilsson eller Bertil …?").
    between: Callable[[str, str], bool] | None = None


def decide(
    heard: str,
    free_score: float,
    scored: Sequence[tuple[str, float]],
    meaning: Callable[[str], Hashable | None],
    free_slack: float,
    margin: float,
    min_resemblance: float,
    ask: AskBack | None = None,
    handoff: float | None = None,
    heard_name: Callable[[str], bool] | None = None,
    pool: float = 0.0,
) -> Verdict:
    """Choose the likeliest sentence when it is within ``free_slack`` of the free transcript's
    score, ``margin`` ahead of the likeliest sentence with another meaning, and resembles the
    normalised free transcript ``heard`` at least ``min_resemblance`` (0–100); else, with
    ``ask``, say it back when that is worth it. With ``handoff``, a free transcript that much
    likelier than every sentence is out of the grammar: kept, nothing said back (the text path
    answers what the grammar can't say, or says it doesn't know). With ``heard_name``, a sentence
    whose names were not heard (``names_heard``) is at most said back, never answered at once.
    ``pool`` pools the sentences of one meaning (``by_meaning``)."""
    ranked = by_meaning(scored, meaning, pool)
    if not ranked:
        return Verdict(None, "nothing to score", free_score=free_score)
    best_score, best_text = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else None
    alike = resemblance(heard, best_text)
    refused = Verdict(None, "", best_score, free_score, runner_up, alike)
    if handoff is not None and best_score < free_score - handoff:
        return replace(refused, reason=OUT_OF_GRAMMAR)
    if best_score < free_score - free_slack:
        reason = "less likely than the free transcript"
    elif runner_up is not None and best_score - runner_up < margin:
        reason = "too close to another meaning"
    elif alike < min_resemblance:
        return replace(refused, reason="unlike the free transcript")
    elif ask is not None and _too_short(best_text, _lead(best_score, runner_up), ask):
        reason = "too short to answer at once"
    elif heard_name is not None and not heard_name(best_text):
        reason = NAME_NOT_HEARD
    else:
        return replace(refused, candidate=best_text, reason="chosen")
    if alike < min_resemblance or ask is None:
        return replace(refused, reason=reason)
    if _worth_asking(ranked, free_score, margin, ask):
        return replace(refused, candidate=best_text, reason=f"asking back: {reason}", ask=True)
    other = _which_one(ranked, free_score, ask)
    if other is not None:
        return replace(
            refused, candidate=best_text, other=other, reason=f"asking which: {reason}", ask=True
        )
    return replace(refused, reason=reason)


def by_meaning(
    scored: Sequence[tuple[str, float]],
    meaning: Callable[[str], Hashable | None],
    pool: float = 0.0,
) -> list[tuple[float, str]]:
    """One (score, likeliest sentence) per meaning, likeliest first. With ``pool`` > 0 a meaning
    scores the log-sum-exp of its sentences' scores at temperature ``pool``: several sentences of
    one meaning fitting the audio are more evidence than one (0: the best sentence alone). The
    pooled score is never below the best sentence's and at most ``pool`` · log(n) above it."""
    groups: dict[Hashable, list[tuple[float, str]]] = {}
    for text, score in scored:
        key = meaning(text)
        if key is not None:
            groups.setdefault(key, []).append((score, text))
    ranked = []
    for group in groups.values():
        best_score, best_text = max(group)
        if pool > 0 and len(group) > 1:
            spread = np.array([score - best_score for score, _ in group]) / pool
            best_score += pool * float(np.log(np.exp(spread).sum()))
        ranked.append((best_score, best_text))
    return sorted(ranked, reverse=True)


def check_heard(
    heard: str,
    scored: Sequence[tuple[str, float]],
    meaning: Callable[[str], Hashable | None],
    margin: float,
    restate: Callable[[str], str | None] | None,
) -> Verdict:
    """A short free transcript a template reads (``heard``, normalised, among ``scored``):
    taken as heard (``candidate`` is ``heard``) when its reading is ``margin`` likelier than every
    other meaning scored; else said back for a yes or no (``ask``) when it can be, else refused
    (``candidate`` None: not heard well enough to answer). A short
    question gives the decoder little to go on: "Ring Kalle" (nobody is called Kalle) was
    written "Ring, Karin.", and a reading about someone else fitted the audio as well (-4.94
    against -4.95): Karin's number was read out."""
    own = meaning(heard)
    mine = [score for text, score in scored if meaning(text) == own]
    others = [score for text, score in scored if meaning(text) not in (own, None)]
    if not mine:
        return Verdict(heard, "free transcript understood")
    score = max(mine)
    runner_up = max(others) if others else None
    if runner_up is None or score - runner_up >= margin:
        return Verdict(heard, "free transcript understood", score, None, runner_up)
    if restate is None or restate(heard) is None:
        return Verdict(None, "short and too close to another meaning", score, None, runner_up)
    return Verdict(
        heard,
        "asking back: short and too close to another meaning",
        score,
        None,
        runner_up,
        ask=True,
    )


def _lead(best: float, runner_up: float | None) -> float:
    return float("inf") if runner_up is None else best - runner_up


def _too_short(text: str, lead: float, ask: AskBack) -> bool:
    """Is ``text`` too short to answer at once, ``lead`` ahead of every other meaning?"""
    if len(text.split()) >= ask.min_words:
        return False
    return ask.names is None or not ask.names(text) or lead < ask.named_margin


def _which_one(ranked: Sequence[tuple[float, str]], free_score: float, ask: AskBack) -> str | None:
    """The second reading, when the two likeliest are the same question about two clients and
    every other meaning is ``ask.margin`` behind them both."""
    if ask.between is None or len(ranked) < 2 or ranked[0][0] < free_score - ask.slack:
        return None
    (_, first), (second_score, second) = ranked[0], ranked[1]
    if len(ranked) > 2 and second_score - ranked[2][0] < ask.margin:
        return None
    return second if ask.between(first, second) else None


def _worth_asking(
    ranked: Sequence[tuple[float, str]], free_score: float, margin: float, ask: AskBack
) -> bool:
    """Is the likeliest reading (first of ``ranked``, one per meaning) worth saying back?"""
    best_score, best_text = ranked[0]
    if best_score < free_score - ask.slack:
        return False
    if len(ranked) > 1 and best_score - ranked[1][0] < ask.margin:
        return False
    said = ask.restate(best_text)
    return said is not None and all(
        ask.restate(text) != said for score, text in ranked[1:] if best_score - score < margin
    )
