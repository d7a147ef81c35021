"""Text normalisation shared by the recogniser and the name matcher."""

from __future__ import annotations

import re

_CLOCK_DOT = re.compile(r"\b(\d{1,2})\.(\d{2})\b", re.ASCII)
_APOSTROPHE = re.compile(r"(\w)['’](s?)\b")
# English contractions a question starts with ("What's Bertil's address?"), spelled out before
# genitives are folded: folded, "what's" became "whats" and no template read it. "How long's
# the visit", "what time's Leila" too.
_CONTRACTED = re.compile(r"\b(who|what|where|when|how|that|there|it|long|time)['’]s\b")
_I_AM = re.compile(r"\bi['’]m\b")
# The same, as a recogniser writes them: no apostrophe ("whos next tonight").
_UNMARKED = re.compile(r"\b(who|what|where|when|how)s\b")
_UNMARKED_I_AM = re.compile(r"\bim\b")
_DROP = re.compile(r"[^\w\s:'-]+")
_SPACES = re.compile(r"\s+")
_SV_CHARS = set("åäö")
_SV_WORDS = frozenset(
    "vem vad var när hur har är jag mitt min nästa besök ska hos till och inte det finns några "
    "vilka vilken kan du med på efter idag om".split()
)
_EN_WORDS = frozenset(
    "who what where when how is are my next visit do does the to at with any have has i you "
    "can after today about for seems really that it tonight".split()
)


# Swedish as it is said, as it is written: "på eftermiddan", "i morron" (tomorrow), "på
# morronen". One form for every reader, so no list or template needs both.
_WRITTEN = {
    "eftermiddan": "eftermiddagen",
    "förmiddan": "förmiddagen",
    "morronen": "morgonen",
    # "har Märta nån katt?", "ska Bertil ha nåt Waran?": spoken forms of "någon", "något".
    "nån": "någon",
    "nåt": "något",
    "nåra": "några",
    "nånting": "någonting",
    "nånstans": "någonstans",
    # "vad kan jag snacka med Kjelle om?": the everyday word for "prata".
    "snacka": "prata",
    "snackar": "pratar",
    # "vad brukar Anna käka på morgonen?": the everyday word for "äta".
    "käka": "äta",
    "käkar": "äter",
}
_SAID = re.compile(r"\b(?:" + "|".join(_WRITTEN) + r")\b")
# "i morron" is tomorrow; "Morrn!" alone a greeting, not a day ("Morrn! Vilka ska jag till?").
_MORROW = re.compile(r"\b(?:(i|på) )?morro?n\b")
# "Under förmiddagen" is "på förmiddagen"; "på förmiddagen idag" is no other day: one form, so
# every template with a part of the day reads them ("Vilka har jag på förmiddagen idag?").
# "ska Anna ha nån Alvedon idag eller", "is there a key box or something": a tag at the end
# asks nothing of its own.
# So does "… är det nåt känt?" after what the worker sees: the records are asked about it.
_TAG = re.compile(
    r" (?:eller(?: hur| vad| så| något| någonting)?|or (?:something|what|not)"
    r"|är det (?:något |någonting )?(?:känt|man vet)(?: om henne| om honom)?"
    r"|står det (?:något|någonting) om det|is (?:that|this|it) (?:something |anything )?known)$"
)
_PARTS = r"förmiddagen|eftermiddagen|kvällen|morgonen|natten|lunchen"
_DURING = re.compile(rf"\bunder ({_PARTS})\b")
_PART_SAID = rf"(?:på|i) (?:{_PARTS})|i (?:kväll|förmiddag|eftermiddag|natt|morse)|ikväll"
_TODAY_TOO = re.compile(rf"\b({_PART_SAID}) (?:idag|i dag)\b|\b(?:idag|i dag) ({_PART_SAID})\b")


def normalize(text: str) -> str:
    """Lower case, clock times as 14:30, "what's" as "what is", apostrophes folded (Greta's →
    gretas), no punctuation."""
    text = text.replace("\u00a0", " ").strip().lower()
    text = _CLOCK_DOT.sub(r"\1:\2", text)
    if "'" in text or "’" in text:  # most text has none: the template sentences are built here
        text = _I_AM.sub("i am", _CONTRACTED.sub(r"\1 is", text))
    else:
        text = _UNMARKED_I_AM.sub("i am", _UNMARKED.sub(r"\1 is", text))
    text = _APOSTROPHE.sub(r"\1\2", text)
    text = _SAID.sub(lambda m: _WRITTEN[m.group(0)], text)
    if "morr" in text:
        text = _MORROW.sub(lambda m: f"{m.group(1)} morgon" if m.group(1) else "god morgon", text)
    if "under " in text:
        text = _DURING.sub(r"på \1", text)
    if "dag" in text:
        text = _TODAY_TOO.sub(lambda m: m.group(1) or m.group(2), text)
    text = _DROP.sub(" ", text)
    text = _SPACES.sub(" ", text.replace("-", " ").replace("'", " ")).strip()
    return _TAG.sub("", text) if " " in text else text


def guess_language(text: str, default: str) -> str:
    """ "sv" or "en" for text no template matched, from letters and common words."""
    words = normalize(text).split()
    sv = sum(w in _SV_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if sv != en:
        return "sv" if sv > en else "en"
    # Letters only when the words don't tell: a name has them too ("a break before Märta's?").
    return "sv" if any(ch in _SV_CHARS for ch in text.lower()) else default
