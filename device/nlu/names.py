"""People's names as spoken: the slot values for templates, and snapping misheard names
(speech-to-text writes "Nielsen" for "Nilsson") to known people with rapidfuzz."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from device.care.model import CareData
from device.nlu.text import normalize


def genitive(name: str) -> str:
    """Swedish and folded English possessive: "greta" → "gretas", "lars" stays "lars"."""
    return name if name.endswith(("s", "x", "z")) else name + "s"


@dataclass(frozen=True)
class NameIndex:
    """Spoken forms (normalised) → the refs of everyone who can be called that."""

    forms: dict[str, tuple[str, ...]]

    @staticmethod
    def of_clients(care: CareData) -> NameIndex:
        found: dict[str, set[str]] = defaultdict(set)
        for client in care.clients:
            spoken = {client.given, client.family, client.full_name, *client.nicknames}
            spoken |= {f"{nick} {client.family}" for nick in client.nicknames}
            for form in _with_genitive(normalize(s) for s in spoken if s):
                found[form].add(client.ref)
        return NameIndex({k: tuple(sorted(v)) for k, v in found.items()})

    @staticmethod
    def of_people(care: CareData) -> NameIndex:
        """Relatives and staff (nurse, coordinator, colleagues) by first and full name."""
        found: dict[str, set[str]] = defaultdict(set)
        people = [(r.ref, r.given, r.family) for r in care.relatives]
        people += [(p.ref, p.given, p.family) for p in care.practitioners]
        for ref, given, family in people:
            spoken = {given, f"{given} {family}"}
            for form in _with_genitive(normalize(s) for s in spoken if s.strip()):
                found[form].add(ref)
        return NameIndex({k: tuple(sorted(v)) for k, v in found.items()})

    def including(self, others: NameIndex) -> NameIndex:
        """These forms, each also naming whoever ``others`` knows by the same form."""
        return NameIndex(
            {
                form: tuple(sorted({*refs, *others.forms.get(form, ())}))
                for form, refs in self.forms.items()
            }
        )

    def snap(self, heard: str, threshold: float) -> tuple[str, ...]:
        """Everyone whose name is closest to ``heard`` (more than one: ask which one is meant)."""
        text = normalize(heard)
        if not text or not self.forms:
            return ()
        exact = self.forms.get(text)
        if exact:
            return exact
        matches = process.extract(
            text, self.forms.keys(), scorer=fuzz.ratio, score_cutoff=threshold, limit=None
        )
        if not matches:
            return ()
        best = max(score for _, score, _ in matches)
        refs = {ref for form, score, _ in matches if score == best for ref in self.forms[form]}
        return tuple(sorted(refs))

    def named_in(self, text: str) -> tuple[str, ...]:
        """Everyone named in ``text`` by a known form (one word or two), exactly as spoken."""
        words = normalize(text).split()
        refs: set[str] = set()
        used: set[int] = set()
        for i in range(len(words) - 1):  # "anna berg" before "anna": the fuller name wins
            pair = self.forms.get(f"{words[i]} {words[i + 1]}")
            if pair:
                refs.update(pair)
                used |= {i, i + 1}
        for i, word in enumerate(words):
            if i not in used:
                refs.update(self.forms.get(word, ()))
        return tuple(sorted(refs))


def _with_genitive(forms: Iterable[str]) -> set[str]:
    out = set()
    for form in forms:
        out.add(form)
        out.add(genitive(form))
    return out
