"""Whom to call in a situation: "Vem ringer jag om Märta blir andfådd?", "Om Olle verkar
förvirrad, vem ska jag kontakta?", "Who should I phone if Siv feels ill?".

The situation is free text no template can list. When it speaks of the client's health (ill,
fallen, in pain, confused, short of breath, the insulin) the nurse is the one to call, after 112 in
an emergency; when the worker herself is ill or late, the coordinator. Anything else (a car, a
door that stays shut) is left to the other readers: the nurse is not everyone's contact. Pure:
text in, a reading or None out.
"""

from __future__ import annotations

import re

from device.nlu.recognizer import Recognition
from device.nlu.text import normalize

_WHO_TO_CALL = re.compile(
    r"\b(vem|vilka|vilken|vart|who|whom)\b.*\b(ringa|ringer|ring|kontakta|kontaktar|larma|larmar|"
    r"hör av mig|höra av mig|vänder mig|vända mig|prata med|pratar med|tala med|talar med|fråga|"
    r"call|phone|contact|reach|get hold of|talk to|speak to|speak with|ask)\b"
)
# Words of a health event, Swedish and English (stems: "ramla" finds "ramlat", "ramlar").
HEALTH_EVENT = re.compile(
    r"sjuk(?!sköt)|\bdålig|\bont\b|ramla|trilla|\bfall|\bföll|svimm|andfådd|andnöd|andas|förvirr|blöd|"
    r"kräk|feber|skadat|skadar|medvetslös|blodsock|insulin|kramp|smärt|halka|snubbl|"
    r"inte må bra|mår inte bra|mår dåligt|\bill\b|sick|unwell|not feeling well|not well|"
    r"pain|\bfell\b|fallen|\bfalls\b|faint|confus|bleed|breath|fever|hurt|"
    r"injur|vomit|seizure|blood sugar|slipped|tripped|stumbl",
)
# "Vilken anhörig ska jag ringa om Greta ramlar?" asks for someone else: not this rule's to answer.
# Whole words: "frukosten" is no wife, "maken" is a husband; Swedish words in Swedish only ("make
# it to Leila" names no husband).
_SOMEONE_ELSE = {
    "sv": re.compile(
        r"\b(anhörig\w*|dotter\w*|döttr\w*|son|sons|sonen\w*|söner\w*|fru|frus|frun\w*|make|"
        r"makes|maken\w*|maka|makan\w*|mannen\w*|sambo\w*|syster\w*|bror|brors|brodern\w*|"
        r"bröder\w*|mamma\w*|pappa\w*|barn|barnen\w*|grann\w*|kollega\w*|läkare\w*|"
        r"samordnar\w*|chef\w*|famil\w*|släkt\w*|närstående\w*)\b"
    ),
    "en": re.compile(
        r"\b(relative\w*|daughter\w*|sons?|wife\w*|wives|husband\w*|partner\w*|sister\w*|"
        r"brother\w*|mother\w*|father\w*|neighbou?r\w*|colleague\w*|doctor\w*|"
        r"coordinator\w*|manager\w*|family|families|next of kin)\b"
    ),
}


def someone_else(said: str, language: str) -> bool:
    """Does the normalised text name a relative, a colleague or a doctor, in ``language`` or in
    English ("Bertils dotter ringde", "Om hans fru mår dåligt")?"""
    return any(
        pattern.search(said) for lang, pattern in _SOMEONE_ELSE.items() if lang in ("en", language)
    )


# After a relative or a neighbour is named, "hon" is that person: "hans fru, vad behöver hon hjälp
# med?" asks of the wife, not of the client.
_PRONOUN = re.compile(r"\b(hon|han|henne|honom|she|he|her|him)\b")


def someone_else_ends(said: str, language: str) -> int | None:
    """Where the relative (a neighbour, a colleague) named in the normalised text ends, when a
    pronoun comes after: "hans fru | persson vad behöver hon hjälp med". None else."""
    for lang, pattern in _SOMEONE_ELSE.items():
        named = pattern.search(said) if lang in ("en", language) else None
        if named and _PRONOUN.search(said, named.end()):
            return named.end()
    return None


def asked_of_someone_else(said: str, language: str) -> bool:
    """Does a pronoun in the normalised text come after a relative, a neighbour or a colleague
    named ("sen grannen hans fru persson vad behöver hon hjälp med")?"""
    return someone_else_ends(said, language) is not None


# "Om jag blir sjuk": the worker's own illness is the coordinator's to plan around.
_MYSELF = re.compile(r"\b(om|när|ifall|if|when) (jag|i) (blir|är|mår|känner|get|am|feel)\b")
# "Jag blir sen till Leila, vem ska jag meddela?": so is her own delay.
_LATE = re.compile(
    r"\b(blir|är) (lite |nog |jätte|väldigt )?sen\b|\bkommer (för )?sent\b|\bförsenad|"
    r"\bhinner inte\b|\b(running|be|am|is) (a bit |so |really |very |quite |a little |way )?late\b|"
    r"\blate (to|for)\b|\bdelayed\b|\bstuck in traffic\b|\brunning behind\b|"
    r"\b(wont|won t|will not|cant|can t|cannot|can not) make it\b"
)
_WHO_TO_TELL = re.compile(
    r"\b(vem|vilka|who|whom)\b.*\b(meddela|meddelar|säga till|säger till|informera|"
    r"let know|lets know|tell|inform|notify)\b"
)


def whom_to_call(text: str, language: str) -> Recognition | None:
    """An escalation reading when the question asks whom to call in a health situation."""
    said = normalize(text)
    asks_whom = _WHO_TO_CALL.search(said) or _WHO_TO_TELL.search(said)
    other = someone_else(said, language)
    if asks_whom and _LATE.search(said) and not other:
        return Recognition("escalation", language, {"role": "coordinator"})
    if not _WHO_TO_CALL.search(said) or not HEALTH_EVENT.search(said):
        return None
    if other:
        return None
    if _MYSELF.search(said):
        return Recognition("escalation", language, {"role": "coordinator"})
    return Recognition("escalation", language, {"role": "nurse", "ill": True})
