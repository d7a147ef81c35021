"""Intent recognition with hassil sentence templates (the hassil adapter, with slot_lists.py).

``Recognizer.recognize`` is a pure function of the text, the templates and the slot lists built
from the care data: first an exact pass with the known names, then a pass where the name is a
wildcard snapped to the closest known person (speech-to-text misspells names).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from hassil import (
    Intents,
    RecognizeResult,
    SlotList,
    TextSlotList,
    WildcardSlotList,
    recognize_all,
)
from hassil.expression import Alternative, Expression, Sequence, TextChunk
from hassil.sample import sample_expression, sample_intents, sample_sentence

from device.care.model import CareData
from device.nlu.clock import ClockTime, parse_clock
from device.nlu.days import find_day
from device.nlu.names import NameIndex
from device.nlu.numbers import EN_HOUR_WORDS, SV_HOUR_WORDS, WORDS
from device.nlu.said import Said
from device.nlu.slot_lists import medicine_list, relation_list, relation_words, visit_kind_list
from device.nlu.template_words import list_forms, list_words, quiet, template_words
from device.nlu.text import guess_language, normalize

LANGUAGES = ("sv", "en")
TIME_SLOTS = ("after", "at")
MAX_TEXT_CHARS = 300  # a spoken question is short; longer input is not a question


@dataclass(frozen=True)
class Recognition:
    """What was asked: the intent, its slots (plain values), the language and how it matched."""

    intent: str
    language: str
    slots: Mapping[str, Any] = field(default_factory=dict)
    fuzzy: bool = False
    via: str = "template"  # or "llm": the local LLM picked the intent and slots

    @property
    def clients(self) -> tuple[str, ...]:
        value = self.slots.get("client", ())
        return tuple(value)

    def clock(self, name: str) -> ClockTime | None:
        value = self.slots.get(name)
        return value if isinstance(value, ClockTime) else None


UNKNOWN = "unknown"
Templates = Mapping[str, Intents]


def load_templates(sentences_dir: Path) -> Templates:
    """The sentence templates per language, parsed once at start-up."""
    templates = {}
    for lang in LANGUAGES:
        with (sentences_dir / f"{lang}.yaml").open(encoding="utf-8") as handle:
            templates[lang] = Intents.from_dict(yaml.safe_load(handle))
    return templates


# Client slots read in text only, never in the spoken grammar: a second name in one sentence
# multiplies it by every name's forms.
_TEXT_ONLY = ("since", "again")
SPOKEN_BREAKS = (5, 10, 15, 20, 25, 30, 40, 45, 50, 60, 90)  # minutes, in the spoken grammar
SPOKEN_SYMPTOMS = {
    "sv": [("smärta", "pain"), ("ont", "pain"), ("oro", "anxiety"), ("illamående", "nausea")],
    "en": [("pain", "pain"), ("anxiety", "anxiety"), ("nausea", "nausea")],
}


class Recognizer:
    """Templates plus the slot lists of one care-data snapshot."""

    def __init__(self, templates: Templates, care: CareData, name_threshold: float) -> None:
        self._templates = templates
        self._threshold = name_threshold
        self.names = NameIndex.of_clients(care)
        clients = TextSlotList.from_tuples(
            ((form, refs) for form, refs in self.names.forms.items()),
            allow_template=False,
            name="client",
        )
        self._relations = sorted({r.relation for r in care.relatives})
        relations = relation_list(self._relations)
        # A first name shared by a client and a relative or a colleague ("ring Karin") must be
        # asked back, so the people list carries the clients who can be called that as well.
        self.people = NameIndex.of_people(care).including(self.names)
        people = TextSlotList.from_tuples(
            ((form, refs) for form, refs in self.people.forms.items()),
            allow_template=False,
            name="person",
        )
        names = [m.name for m in care.medications]
        medicines = {lang: medicine_list(names, lang, definite=True) for lang in LANGUAGES}
        self._spoken_medicines = {lang: medicine_list(names, lang) for lang in LANGUAGES}
        self._exact: dict[str, dict[str, SlotList]] = {
            "sv": {
                "client": clients,
                "relation": relations,
                "person": people,
                "medicine": medicines["sv"],
            },
            "en": {"client": clients, "person": people, "medicine": medicines["en"]},
        }
        # "mellan Greta och Anna": the visit it starts from; "Greta har ont, vad får Greta ta?"
        # (a follow-up put her name in for both "hon"): the same client again, not read.
        for lists in self._exact.values():
            for name in _TEXT_ONLY:
                lists[name] = TextSlotList.from_tuples(
                    ((form, refs) for form, refs in self.names.forms.items()),
                    allow_template=False,
                    name=name,
                )
        kinds = {v.kind for v in care.visits if v.kind}
        kinds |= {a.kind for plan in care.careplans for a in plan.activities if a.kind}
        for lang, lists in self._exact.items():
            lists["visit_kind"] = visit_kind_list(templates[lang], kinds)
        self._sentences: dict[str, list[str]] = {}  # built on first use: seconds, not at import
        self._intent_sentences: dict[str, list[tuple[str, str]]] = {}
        self._fingerprints: dict[str, str] = {}  # asked for on every question read by meaning
        self._vocabulary: frozenset[str] | None = None  # read by the directory and known words
        self._spelled: dict[tuple[str, str], SlotList | None] = {}
        self._fuzzy: dict[str, dict[str, SlotList]] = {
            lang: {**lists, "client": WildcardSlotList(name="client")}
            for lang, lists in self._exact.items()
        }

    def vocabulary(self) -> frozenset[str]:
        """The assistant's everyday words in both languages: the templates' words, numbers,
        relations, visit kinds and medicines. A word outside it next to a name may be a name
        (device/nlu/people.py). Walked once per snapshot (about 0.2 s)."""
        if self._vocabulary is not None:
            return self._vocabulary
        words: set[str] = set()
        for lang in LANGUAGES:
            words |= template_words(self._templates[lang])
            words |= {w for text in WORDS.get(lang, {}) for w in normalize(text).split()}
            for name in ("relation", "medicine", "visit_kind"):
                words |= {w for form in self.forms(lang, name) for w in form.split()}
        self._vocabulary = frozenset(words)
        return self._vocabulary

    def sentences(self, lang: str, intents: frozenset[str] | None = None) -> list[str]:
        """Every sentence the templates accept with this snapshot's names (normalised, sorted;
        in Swedish those a worker would say, device/nlu/said.py), or those of ``intents``: the
        closed domain a speech engine may choose from. Clock times are the whole and half hours
        said in words; other times are left to the free transcript."""
        if intents is not None:
            self.sentences(lang)
            return sorted({t for i, t in self._intent_sentences[lang] if i in intents})
        if lang in self._sentences:
            return self._sentences[lang]
        hours = SV_HOUR_WORDS if lang == "sv" else EN_HOUR_WORDS
        half = "halv" if lang == "sv" else "half past"
        times = [*hours.values(), *(f"{half} {word}" for word in hours.values())]
        lists = {**self._exact[lang], "time": TextSlotList.from_strings(times, name="time")}
        lists["medicine"] = self._spoken_medicines[lang]  # not "Trombylen": see medicine_list
        # The breaks a worker asks for, not every number from 1 to 240 (40 % of the grammar):
        # "tolv minuter" is left to the free transcript, which the templates read.
        spoken = [w for w, n in WORDS[lang].items() if n in SPOKEN_BREAKS]
        breaks = [*map(str, SPOKEN_BREAKS), *spoken]
        lists["break_minutes"] = TextSlotList.from_strings(breaks, name="break_minutes")
        # Not the time between two clients' visits: every pair of names' forms would triple the
        # grammar (363,580 more Swedish sentences, measured); the free transcript reads it.
        lists |= {name: TextSlotList.from_strings([], name=name) for name in _TEXT_ONLY}
        # A complaint in its plain words only: every form of it ("ont i knät") added a third.
        lists["symptom"] = TextSlotList.from_tuples(SPOKEN_SYMPTOMS[lang], name="symptom")
        with quiet(logging.getLogger("hassil.sample")):  # "No values for list: since"
            sampled = list(sample_intents(self._templates[lang], slot_lists=lists, language=lang))
        found = [(intent, normalize(text)) for intent, text in sampled]
        if lang == "sv":  # only what a worker says: typing's forms crowd the spoken shortlist
            relations = [relation_words(r) for r in self._relations]
            kinds = list_words(self._exact[lang]["visit_kind"])
            parts = list_forms(self._templates[lang].slot_lists["part_of_day"])
            said = Said.of(self.names.forms, relations, kinds, parts)
            found = [(intent, text) for intent, text in found if said(text)]
        self._intent_sentences[lang] = found
        self._sentences[lang] = sorted({text for _intent, text in found})
        return self._sentences[lang]

    def words(self, lang: str) -> set[str]:
        """Every word of ``sentences(lang)``, the skip words and all numbers in words: the grammar
        of a speech engine that takes words, not sentences (Vosk). One enumeration feeds both."""
        said = {word for sentence in self.sentences(lang) for word in sentence.split()}
        extra = [*self._templates[lang].skip_words, *WORDS.get(lang, {})]
        return said | {word for text in extra for word in normalize(text).split()}

    def examples(self, lang: str, per_line: int) -> list[tuple[str, Recognition]]:
        """Up to ``per_line`` sentences of each template line, with one client
        and one person for every name (so the sentences differ in wording, not in names), spread
        evenly over each intent's sentences, with the reading of each: what a question in other
        words is compared with (device/nlu/similar.py)."""
        lists = dict(self._exact[lang])
        for name, index in (("client", self.names), ("person", self.people)):
            # The same name whatever the order of the forms (a set's, different each start):
            # the index, and so the answers, must not change from one start to the next.
            first = min((form for form in index.forms if " " not in form), default=None)
            if first is not None:
                lists[name] = TextSlotList.from_tuples(
                    [(first, index.forms[first])], allow_template=False, name=name
                )
        lists["time"] = TextSlotList.from_strings(["tre" if lang == "sv" else "three"], name="time")
        # A few breaks, not every number from 1 to 240: those would crowd the other wordings of
        # the intent out of its examples (the break a reading keeps is the question's own).
        breaks = ["tjugo", "trettio", "fyrtiofem"] if lang == "sv" else ["twenty", "thirty"]
        lists["break_minutes"] = TextSlotList.from_strings(breaks, name="break_minutes")
        intents = self._templates[lang]
        slot_lists = {**intents.slot_lists, **lists}
        out = []
        for intent in sorted(intents.intents):
            lines = [
                sorted(
                    {
                        normalize(t)
                        for t in sample_sentence(
                            line,
                            slot_lists,
                            {**intents.expansion_rules, **data.expansion_rules},
                            language=lang,
                        )
                    }
                )
                for data in intents.intents[intent].data
                for line in data.sentences
                # Not the lines naming two clients: an example reads one (device/nlu/similar.py).
                if not any(
                    n in data.wildcard_list_names or n in _TEXT_ONLY
                    for n in line.list_names(intents.expansion_rules)
                )
            ]
            for text in _spread(lines, per_line):
                rec = self.recognize(text, lang, detect=False)
                if rec.intent == intent:
                    out.append((text, rec))
        return out

    def fingerprint(self, lang: str) -> str:
        """What ``examples(lang, …)`` depends on (the names aside): the slot lists' words and
        values and the first client's and person's forms. Equal for the same care data loaded
        twice."""
        if lang in self._fingerprints:
            return self._fingerprints[lang]
        parts = [next(iter(self.names.forms), ""), next(iter(self.people.forms), "")]
        for name, slot_list in sorted(self._exact[lang].items()):
            if name in ("client", "person", *_TEXT_ONLY) or not isinstance(slot_list, TextSlotList):
                continue
            parts += [
                f"{name}:{v.text_in.text}:{v.value_out!r}"
                for v in slot_list.values
                if isinstance(v.text_in, TextChunk)
            ]
        self._fingerprints[lang] = hashlib.sha256("\n".join(parts).encode()).hexdigest()
        return self._fingerprints[lang]

    def _list(self, lang: str, list_name: str) -> SlotList | None:
        """The snapshot's list, or else the templates' own, one form per alternative: English
        relations are the templates' ("(daughter|daughters)" → dotter)."""
        own = self._exact[lang].get(list_name)
        if own is not None:
            return own
        if (lang, list_name) not in self._spelled:
            written = self._templates[lang].slot_lists.get(list_name)
            self._spelled[lang, list_name] = (
                TextSlotList.from_tuples(
                    (
                        (form, value.value_out)
                        for value in written.values
                        for form in sample_expression(value.text_in)
                    ),
                    allow_template=False,
                    name=list_name,
                )
                if isinstance(written, TextSlotList)
                else None
            )
        return self._spelled[lang, list_name]

    def forms(self, lang: str, list_name: str) -> list[str]:
        """The spoken forms (normalised) of slot list ``list_name``."""
        slot_list = self._list(lang, list_name)
        if not isinstance(slot_list, TextSlotList):
            return []
        return [
            normalize(v.text_in.text) for v in slot_list.values if isinstance(v.text_in, TextChunk)
        ]

    def values_in(
        self, text: str, lang: str, list_name: str, every_form: bool = False
    ) -> list[Any]:
        """The values of slot list ``list_name`` whose spoken forms are words of ``text``
        (one word or two), longest forms first; ``every_form``: each of "(lunch|lunchen)" too
        (the similar reader reads only plain forms: its readings were chosen so)."""
        slot_list = self._list(lang, list_name)
        if not isinstance(slot_list, TextSlotList):
            return []
        said = f" {normalize(text)} "
        found = []
        spoken = _plain_forms if every_form else _one_chunk
        forms = [
            (normalize(form), value.value_out)
            for value in slot_list.values
            for form in spoken(value.text_in)
        ]
        for form, out in sorted(forms, key=lambda f: -len(f[0])):
            if form and f" {form} " in said and out not in found:
                found.append(out)
                said = said.replace(f" {form} ", " ")
        return found

    def recognize(self, text: str, preferred: str = "sv", detect: bool = True) -> Recognition:
        normalized = normalize(text[: MAX_TEXT_CHARS * 2])
        if not normalized or len(normalized) > MAX_TEXT_CHARS:
            return Recognition(UNKNOWN, guess_language(text, preferred) if detect else preferred)
        order = (
            [preferred, *(lang for lang in LANGUAGES if lang != preferred)]
            if detect
            else [preferred]
        )
        # Another day named ("i morgon", "på fredag") is taken out first and kept as a slot, so
        # no template reads it as a part of today ("i morgon" is not "på morgonen").
        stripped, day = find_day(normalized)
        for fuzzy in (False, True):
            for lang in order:
                found = self._match(stripped, lang, fuzzy)
                if found is not None:
                    if day is None:
                        return found
                    return replace(found, slots={**found.slots, "day": day})
        unknown = Recognition(UNKNOWN, guess_language(text, preferred) if detect else preferred)
        return unknown if day is None else replace(unknown, slots={"day": day})

    def _match(self, text: str, lang: str, fuzzy: bool) -> Recognition | None:
        lists = (self._fuzzy if fuzzy else self._exact)[lang]
        best: tuple[int, Recognition] | None = None
        for result in recognize_all(text, self._templates[lang], slot_lists=lists, language=lang):
            recognition = self._to_recognition(result, lang, fuzzy)
            if recognition is None:
                continue
            score = result.text_chunks_matched
            if best is None or score > best[0]:
                best = (score, recognition)
        return None if best is None else best[1]

    def _to_recognition(
        self, result: RecognizeResult, lang: str, fuzzy: bool
    ) -> Recognition | None:
        slots: dict[str, Any] = {}
        for name, entity in result.entities.items():
            if name in TIME_SLOTS:
                clock = parse_clock(str(entity.value), lang)
                if clock is None:
                    return None
                slots[name] = clock
            elif name == "person":
                slots[name] = tuple(entity.value)
            elif name == "client":
                if entity.is_wildcard:
                    refs = self.names.snap(str(entity.value), self._threshold)
                    if not refs:
                        return None
                    slots[name] = refs
                else:
                    slots[name] = tuple(entity.value)
            elif isinstance(entity.value, list):
                slots[name] = tuple(entity.value)
            else:
                slots[name] = entity.value
        if fuzzy and "client" not in slots:
            return None  # the fuzzy pass exists only to snap names
        again = slots.pop("again", None)  # the same client said twice, or no reading
        if isinstance(again, tuple) and not set(again) & set(slots.get("client", ())):
            return None
        return Recognition(result.intent.name, lang, slots, fuzzy)


def _spread(lines: list[list[str]], per_line: int) -> list[str]:
    """Up to ``per_line`` sentences of each template line, spread over its forms: every wording
    is in the index, and a line added to the templates does not change which sentences the
    others give (capped per intent, one added line took examples from all the others, and
    "anything dangerous at karls place" lost its nearest, 2026-12-06)."""
    picked: dict[str, None] = {}
    for texts in lines:
        for rank in range(min(per_line, len(texts))):
            # A low-discrepancy walk: spread out, the same every time.
            picked.setdefault(texts[int((rank * 0.6180339887) % 1 * len(texts))])
    return list(picked)


def _one_chunk(expression: Expression) -> list[str]:
    """The spoken form of a list value written as one plain chunk ("lunch"); none else."""
    return [expression.text] if isinstance(expression, TextChunk) else []


def _plain_forms(expression: Expression) -> list[str]:
    """The plain spoken forms of a list value: "lunch", or each of "(lunch|lunchen)"."""
    if isinstance(expression, TextChunk):
        return [expression.text]
    if isinstance(expression, Sequence) and all(isinstance(i, TextChunk) for i in expression.items):
        return ["".join(i.text for i in expression.items if isinstance(i, TextChunk))]
    if isinstance(expression, Alternative):
        return [form for item in expression.items for form in _plain_forms(item)]
    return []
