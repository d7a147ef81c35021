"""The slot lists of one care-data snapshot, as hassil reads them: visit kinds, medicines and
relations with the forms a worker says. Part of the hassil adapter (device/nlu/recognizer.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from hassil import Intents, TextSlotList

from device.nlu.names import genitive
from device.nlu.text import normalize

# Words for a kind of medicine, per language, as records name it in Swedish ("eye drops" →
# "ögondroppar").
MEDICINE_WORDS = {
    "sv": {"ögondroppar": "ögondroppar", "ögongel": "ögongel", "insulin": "insulin"},
    "en": {"eye drops": "ögondroppar", "eye gel": "ögongel", "insulin": "insulin"},
}


def visit_kind_list(intents: Intents, kinds: set[str]) -> TextSlotList:
    """The templates' visit kinds and the kinds this care data uses ("Frukost", "Dusch",
    "Tillsyn"), with the forms a worker says: "frukosten", "duschbesöket", "tillsynen"."""
    static = intents.slot_lists.get("visit_kind")
    values = list(static.values) if isinstance(static, TextSlotList) else []
    known = {str(v.value_out).casefold() for v in values}
    forms: dict[str, str] = {}
    for kind in sorted(kinds):
        word = normalize(kind)
        if not word or kind.casefold() in known:
            continue
        for form in (word, f"{word}en", f"{word}et", f"{word}n", f"{word}besöket", f"{word}besök"):
            forms.setdefault(form, kind)
    extra = TextSlotList.from_tuples(forms.items(), allow_template=False, name="visit_kind")
    return TextSlotList(name="visit_kind", values=[*values, *extra.values])


def medicine_list(names: Iterable[str], lang: str, definite: bool = False) -> TextSlotList:
    """Each medication's name, its first and last word, as said ("Waran", "Xalatan",
    "ögondroppar"), and the words
    for kinds of medicine ("ögondroppar", "eye drops"); the value is the word to look for in a
    client's list. ``definite``: in Swedish also "Trombylen", "Warfarinet" (for typed and
    transcribed text; the spoken grammar is kept short: every form multiplies its sentences)."""
    forms: dict[str, str] = {}
    for name in names:
        words = normalize(name).split()
        if not words:
            continue
        forms.setdefault(" ".join(words), words[0])
        forms.setdefault(words[0], words[0])
        for ending in ("en", "et") if definite and lang == "sv" and len(words[0]) >= 4 else ():
            forms.setdefault(words[0] + ending, words[0])
        if len(words) > 1 and len(words[-1]) >= 4:  # "Spiriva inhalator": "hans inhalator"
            forms.setdefault(words[-1], words[-1])
    for said, word in MEDICINE_WORDS[lang].items():
        forms.setdefault(said, word)
    return TextSlotList.from_tuples(
        ((form, value) for form, value in forms.items()), allow_template=False, name="medicine"
    )


# Everyday words for a recorded relation, indefinite and definite: "Ainas man" is the relative
# recorded as "make". A relation not here is said as recorded or in its definite form.
RELATION_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "make": (("man", "gubbe"), ("mannen", "maken", "gubben")),
    "man": (("make", "gubbe"), ("maken", "mannen", "gubben")),
    "fru": (("hustru", "gumma"), ("frun", "hustrun", "gumman", "frugan")),
    "hustru": (("fru", "gumma"), ("frun", "hustrun", "gumman", "frugan")),
    "sambo": (("partner",), ("sambon",)),
    "bror": ((), ("brodern", "brorsan")),
    "syster": ((), ("systern", "syrran")),
}


def definite(word: str) -> str:
    """The definite form of a Swedish relation: "dotter" → "dottern", "son" → "sonen",
    "fru" → "frun", "barnbarn" → "barnbarnet"."""
    if word.endswith("barn"):
        return f"{word}et"
    if word.endswith(("a", "e", "i", "o", "u", "y", "å", "ä", "ö", "er", "el")):
        return f"{word}n"
    return f"{word}en"


def relation_words(relation: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """How a recorded relation is said: its indefinite words ("dotter") and its definite
    ones ("dottern"); no "dotternen", a word of no one's that the spoken grammar would hold."""
    word = normalize(relation)
    if not word:
        return (), ()
    plain, known = RELATION_WORDS.get(word, ((), (definite(word),)))
    return (word, *plain), known


def relation_list(relations: Iterable[str]) -> TextSlotList:
    """Swedish relations as recorded, with their definite and genitive forms and the everyday
    words for them."""
    forms: dict[str, set[str]] = defaultdict(set)
    for relation in relations:
        plain, known = relation_words(relation)
        for said in (*plain, *known):
            forms[said].add(plain[0])
            forms[genitive(said)].add(plain[0])
    return TextSlotList.from_tuples(
        ((form, tuple(sorted(words))) for form, words in forms.items()),
        allow_template=False,
        name="relation",
    )
