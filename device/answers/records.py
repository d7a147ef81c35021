"""Answers from the records' own words: the sentences of one client's care plan notes and
routines, flags and medication orders that share a content word with the question.

"Vad heter Bertils hund?", "Tål Greta nötter?", "Vad ska Anna äta till frukost?": the facts are
written in free text, not in a field of their own. Words are compared by their Snowball stems
(snowballstemmer: "katten" and "katt" are one word), a stem found inside a recorded word counts
("tvätt" in "tvättstugan", "mat" in "matlådan"), and a small synonym list of our own widens a
question word ("husdjur" finds "hund"). Sentences are read as recorded, with their sources;
nothing is paraphrased. Pure: care data and text in, hits out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from device.care.model import CareData, Client
from device.nlu.known import stemmer
from device.nlu.known import stems as stems_of
from device.nlu.numbers import WORDS
from device.nlu.text import normalize

# Words that carry no topic: question words, pronouns, auxiliaries, fillers (normalised).
_STOP = frozenset(
    """
    vad vem vilka vilken vilket var vart hur när varför är har hade ska skall kan kunde får
    måste bör vill jag du han hon den det de vi ni man mig dig sig hans hennes dess deras
    min mitt mina din ditt dina sin sitt sina och eller men att som om på i till från med för
    av hos åt vid under över efter innan sen sedan nu då ju väl nog bara också även inte
    ingen inget några någon något något någonting finns fanns en ett the några mycket lite
    säga säg berätta undrar veta vet tror tycker göra gör gjorde få heter hette kallas
    brukar brukade bruka tycka
    snälla tack hej okej alltså liksom typ va eh öh
    dags börjar börja slutar sluta klockan tid tiden länge nummer numret telefonnummer
    telefon ringa ring adress adressen bor gatan kod koden portkod besök besöket besöken
    nästa idag dag dagen brukare brukaren kunden allt alla något någonting nåt
    ligga ligger stå står sitta sitter förut tidigare innan förr anything something
    håller hålla håll hålls höll pågår håller_på
    verkar verka väldigt jätte seems seem seemed really very so now having
    what who which where when why how is are was were do does did can could should would
    name called before earlier used well okay ok have has
    will shall must may i you he she it they we me him her his its their my your our a an
    and or but to of in on at for with from by about any some there tell say know please
    get gets got out uh um today day blir bli blev ibland sometimes
    """.split()
)
# What a note says of a working life seldom has the word "arbetade": "Var sjökapten", "Före detta
# spårvagnsförare". A recorded word that ends in one of these common occupations answers a
# question about work. Matched on the word as written, not its stem: Snowball cuts "fiskare" to
# "fisk" and "läkare" to "läk", which would find the fish she eats.
OCCUPATIONS = frozenset(
    """
    förare chaufför kapten sjöman styrman lärare lärarinna sköterska barnmorska läkare
    snickare målare murare elektriker rörmokare mekaniker ingenjör arbetare bonde fiskare
    kock bagare slaktare frisör sömmerska skräddare expedit biträde sekreterare polis brandman
    präst konduktör brevbärare städerska dagmamma pedagog ekonom journalist musiker advokat
    tandläkare apotekare montör svetsare smed tekniker direktör chef kassörska telefonist
    """.split()
)
LANGUAGES = tuple(
    """
    språk svenska finska engelska arabiska somaliska persiska dari kurdiska turkiska bosniska
    serbiska kroatiska polska ryska estniska spanska tyska tigrinja teckenspråk tolk
    """.split()
)
_WORK_WORDS = frozenset({"jobb", "jobba", "arbet", "arbeta", "yrk", "yrke", "work", "job"})
# Our own widening of a question's words (stems on both sides are compared).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "husdjur": ("hund", "katt", "fågel", "djur", "kanin", "undulat", "papegoja"),
    "djur": ("hund", "katt", "fågel", "kanin", "undulat"),
    "fågel": ("undulat", "papegoja", "kanariefågel", "fåglar"),
    "lag": ("fotboll", "hockey", "klubb", "håller på"),
    "pet": ("dog", "cat", "bird", "hund", "katt", "fågel", "undulat", "husdjur"),
    "pets": ("dog", "cat", "bird", "hund", "katt", "fågel", "undulat", "husdjur"),
    "mat": ("äta", "frukost", "lunch", "middag", "mellanmål", "kost", "gröt", "matlåda"),
    # "Kan Karin äta jordnötter?" is answered by "Allergi mot jordnötter".
    "äta": ("mat", "frukost", "lunch", "middag", "mellanmål", "kost", "allergi", "allergisk"),
    "äter": ("äta", "mat", "frukost", "lunch", "middag", "mellanmål", "kost", "allergi"),
    "tål": ("allergi", "allergisk", "överkänslig"),
    "tåla": ("allergi", "allergisk", "överkänslig"),
    "dricka": ("vatten", "kaffe", "te", "dryck", "juice"),
    "food": ("eat", "breakfast", "lunch", "dinner", "snack", "diet", "mat", "kost"),
    "eat": ("food", "breakfast", "lunch", "dinner", "mat", "kost", "allergi", "allergic"),
    "jobb": ("arbetade", "jobbade", "yrke", "arbete"),
    "arbete": ("arbetade", "jobbade", "yrke", "jobb"),
    "yrke": ("arbetade", "jobbade", "arbete", "jobb"),
    "work": ("worked", "job", "arbetade", "jobbade", "yrke"),
    "gillar": ("älskar", "intresse", "tycker", "gärna"),
    "intresse": ("gillar", "älskar"),
    "hobby": ("gillar", "intresse", "älskar", "tycker om", "spelar", "gärna"),
    "like": ("likes", "enjoys", "loves", "gillar", "gärna", "tycker om", "helst"),
    "likes": ("like", "enjoys", "loves", "gillar", "gärna", "tycker om", "helst"),
    "enjoy": ("likes", "enjoys", "loves", "gillar", "gärna", "tycker om"),
    "listening": ("lyssna", "lyssnar", "radio", "musik", "p1"),
    "listen": ("lyssna", "lyssnar", "radio", "musik"),
    "lyssna": ("lyssnar", "radio", "musik"),
    "music": ("musik",),
    "radio": ("radio",),
    "tvätt": ("tvättstuga", "tvättmaskin", "kläder"),
    "pratar": ("talar", "prata", "tala"),
    "prata": ("talar", "pratar", "tala"),
    # A language is found by its name: "talar" alone would find "talar gärna om fotboll".
    "språk": LANGUAGES,
    "language": ("språk", *LANGUAGES),
    "dusch": ("duscha", "duschar", "tvätta"),
    "hörsel": ("hör", "öra", "hörapparat"),
    # In home care "sprutan" is the insulin pen: "hur mycket ska hon ha i sprutan?"
    "spruta": ("insulin", "injektion"),
    "sprut": ("insulin", "injektion"),
    "sprutan": ("insulin", "injektion"),
    "syn": ("ser", "glasögon", "blind"),
    # Everyday words for what a record says in care words.
    "sockersjuka": ("diabetes", "insulin", "blodsocker"),
    "sockersjuk": ("diabetes", "insulin", "blodsocker"),
    # Penicillin is the antibiotic a flag most often names ("Allergi mot penicillin").
    "antibiotika": ("penicillin", "antibiotika"),
    "antibiotics": ("penicillin", "antibiotika"),
    "tonight": ("kväll", "kvällen"),
    "socker": ("diabetes", "blodsocker"),
    "ont": ("smärta", "värk"),
    "värk": ("smärta", "ont"),
    "pain": ("smärta", "värk", "pain"),
    "rörig": ("förvirrad", "förvirring", "demens", "glömsk"),
    "glömsk": ("förvirrad", "demens", "minne"),
    "minne": ("demens", "förvirrad", "glömsk", "minnet"),
    "minnet": ("demens", "förvirrad", "glömsk", "minne"),
    "memory": ("demens", "förvirrad", "dementia", "confused", "minne"),
    "forgetful": ("demens", "förvirrad", "dementia", "minne"),
    "confused": ("förvirrad", "förvirring", "demens", "confused"),
    "trillar": ("fall", "fallrisk", "ramlar"),
    "ramlar": ("fall", "fallrisk"),
    "diabetic": ("diabetes", "insulin"),
    "diabetes": ("diabetes", "insulin", "blodsocker"),
    "diabetiker": ("diabetes", "insulin", "blodsocker"),
    # Fire where there is oxygen: "får jag röka hos Karl?" finds "Syrgas i hemmet, ingen öppen eld".
    "röka": ("eld", "syrgas", "rök"),
    "röker": ("eld", "syrgas", "rök"),
    "tända": ("eld", "tänd"),
    "ljus": ("eld", "ljus"),
    "smoke": ("eld", "syrgas"),
    "candle": ("eld",),
    "light": ("eld", "tänd", "lampa", "ljus"),
    "candles": ("eld",),
    "oxygen": ("syrgas",),
    # Breathing in everyday words: "KOL, blir andfådd vid ansträngning".
    "andfådd": ("andfådd", "kol", "syrgas"),
    "flåsar": ("andfådd", "kol", "syrgas"),
    "breath": ("andfådd", "kol", "syrgas"),
    "breathless": ("andfådd", "kol", "syrgas"),
    "reminder": ("påminn", "påminnelse"),
    # What to check on a visit is written "kontrollera", "tillsyn": "vad ska jag kolla i natt?"
    "kolla": ("kontrollera", "tillsyn"),
    "check": ("kontrollera", "tillsyn"),
    # English questions about Swedish records: the words workers ask about most.
    "cat": ("katt",),
    "dog": ("hund",),
    "bird": ("fågel",),
    "breakfast": ("frukost",),
    "lunch": ("lunch",),
    "dinner": ("middag", "kvällsmat"),
    "snack": ("mellanmål",),
    "coffee": ("kaffe",),
    "laundry": ("tvätt", "tvättstuga"),
    "shower": ("dusch",),
    "shopping": ("handla", "inköpslista"),
    "walk": ("promenad",),
    "worked": ("arbetade", "jobbade"),
    "job": ("arbetade", "jobbade", "yrke"),
    "speak": ("talar", "pratar"),
    "speaks": ("talar", "pratar"),
    "hearing": ("hör", "öra"),
    "hear": ("hör", "öra", "hörsel"),
    "see": ("ser", "syn", "glasögon"),
    "midwife": ("barnmorska",),
    "nurse": ("sjuksköterska",),
    "teacher": ("lärare", "lärarinna"),
    "newspaper": ("tidning",),
    "nuts": ("nötter", "jordnötter"),
    "peanuts": ("jordnötter",),
    "chess": ("schack",),
    "boats": ("båtar",),
    "garden": ("trädgård",),
}
# Questions about a phone number, an address, a code or a time are not answered from free text:
# a sentence that shares a word with them would answer another question.
NOT_FOR_RECORDS = re.compile(
    r"\b(ring|ringa|ringer|nummer|numret|telefon\w*|adress\w*|\w*kod|\w*koden|när|dags|"
    r"klockan|call|phone|number|address|code|when|(?<!pass the )time)\b"
)
# "Vad gillar Anna att prata om?" asks for a topic of talk: a sentence says one with the verb and
# "om" or "gärna" ("Pratar gärna fotboll"), not with the verb alone ("Hör dåligt, tala tydligt").
_TALK_ABOUT = re.compile(
    r"\b(prata|pratar|tala|talar|snacka|snackar|talk|talks|talking|chat|chatting) "
    r"(\w+ ){0,2}(om|about)\b"
)
_TOPIC = re.compile(
    r"\b(prata\w*|tala\w*|snacka\w*|samtala\w*) ((gärna |mycket |ofta )?om\b|gärna\b)"
)
_SPLIT = re.compile(r"(?<=[.!?;])\s+")
MIN_INSIDE = 4  # a stem this long counts when it is found inside a longer recorded word


@dataclass(frozen=True)
class Hit:
    text: str  # the sentence as recorded
    ref: str  # the record it came from
    kind: str  # "note", "routine", "flag", "medication"
    clinical: bool = False
    visit: str = ""  # a routine's kind of visit ("Lunch"): searched, not read out


@dataclass(frozen=True)
class Concept:
    """One content word of a question: the stems that find it, and (for a question about work)
    the occupations a recorded word may end in."""

    stems: frozenset[str]
    endings: frozenset[str] = frozenset()
    phrase: re.Pattern[str] | None = None  # when set, found only by this in the written text


# A part of the day or a day: never the whole of what a question asks the records.
_TIME_WORDS = re.compile(
    r"i?kväll\w*|morgon\w*|i?morse|förmiddag\w*|eftermiddag\w*|i?natt\w*|idag|imorgon|"
    r"tonight|morning|afternoon|evening|night|today|tomorrow"
)


# Said around a question of a working life: "back in the day" asks nothing of its own; "innan
# hon blev pensionär" asks what her work was.
_LONG_AGO = re.compile(r"\b(back in the day|in the old days|förr i tiden)\b")
_PASSTIME = re.compile(r"\b((to )?pass the time|fördriva tiden|få tiden att gå)\b")  # a hobby
_RETIRED = re.compile(
    r"\b(innan|före) (hon|han|\w+) (blev pensionär|gick i pension|pensionerades)\b"
    r"|\bbefore (she|he|\w+) retired\b"  # "\w+": her name, once a follow-up put it in
)


def _content_words(question: str, names: set[str]) -> list[str]:
    """The question's words that say what is asked: no stop word, name, number or "talk about"."""
    said = _RETIRED.sub(" yrke ", _LONG_AGO.sub(" ", normalize(question)))
    said = _PASSTIME.sub(" hobby ", said)
    return [
        w
        for w in _TALK_ABOUT.sub(" ", said).split()
        if w not in _STOP and w not in names and len(w) >= 3 and not w.isdigit()
    ]


def question_concepts(question: str, names: set[str], lang: str) -> list[Concept]:
    """One concept per content word of the question (the word, its stems, its synonyms)."""
    concepts = []
    if _TALK_ABOUT.search(normalize(question)):
        concepts.append(Concept(frozenset(), phrase=_TOPIC))
    for word in _content_words(question, names):
        forms = {word, *SYNONYMS.get(word, ())}
        stem = stemmer(lang).stemWord(word)
        forms |= set(SYNONYMS.get(stem, ()))
        stems: set[str] = set()
        for form in forms:
            stems |= stems_of(form, lang) | stems_of(form, "sv" if lang == "en" else "en")
        stems = {s for s in stems if len(s) >= 3 and s not in _STOP}
        if len(stem) == 2:  # "äta", "äter": "ät" is found only as itself
            stems.add(stem)
        endings = OCCUPATIONS if stems & _WORK_WORDS or stem in _WORK_WORDS else frozenset()
        if stems:
            concepts.append(Concept(frozenset(stems), endings))
    return concepts


def _matches(concept: Concept, words: set[str], written: list[str]) -> bool:
    """A stem equals a recorded word's, or either holds the other (compounds, and endings
    Snowball leaves on: "kaffet" and "kaffe"); or a written word ends in an occupation."""
    if concept.phrase is not None:
        return concept.phrase.search(" ".join(written)) is not None
    for stem in concept.stems:
        for word in words:
            if stem == word and (len(stem) > _SHORT or _written_as(stem, written)):
                return True
            if len(stem) >= MIN_INSIDE and len(word) >= MIN_INSIDE and _holds(stem, word):
                return True
    return any(w.endswith(tuple(concept.endings)) for w in written)


# A stem of three letters or fewer stands for too many words: Snowball cuts both "lag" (a team)
# and "laga" (to cook) to "lag". Such a stem is found only in a recorded word that is it, or it
# with a noun's ending ("lagen", "kolet", "dogs").
_SHORT = 3
_NOUN_ENDINGS = ("", "en", "et", "n", "t", "ar", "er", "or", "na", "s", "ens", "ets", "es")


def _written_as(stem: str, written: list[str]) -> bool:
    return any(w.startswith(stem) and w[len(stem) :] in _NOUN_ENDINGS for w in written)


def _holds(one: str, other: str) -> bool:
    """Does the longer word hold the shorter as a Swedish compound's last part ("jordnötter":
    "nötter"), or with an ending Snowball left on ("kaffet": "kaffe")? Not as its first part:
    a "barnmorska" (a midwife) is not a "barn" (a child)."""
    long, short = (one, other) if len(one) >= len(other) else (other, one)
    return long.endswith(short) or (long.startswith(short) and len(long) - len(short) <= 3)


_NAMING = re.compile(r"\b(heter|kallas|kallad|kallar|named|called|name)\b", re.IGNORECASE)


def gives_name(hit: Hit) -> bool:
    """Does the recorded sentence give someone's or something's name ("Katten heter Misse",
    "Hunden Rex kan morra"): a naming word, or a capitalised word after the first?"""
    return bool(_NAMING.search(hit.text)) or any(w[:1].isupper() for w in hit.text.split()[1:])


def client_sentences(client: Client, care: CareData) -> list[Hit]:
    """Every recorded sentence about ``client``: plan notes and routines, flags, medication."""
    return _sentences(client, care)


def _sentences(client: Client, care: CareData) -> list[Hit]:
    found = []
    for plan in care.careplans_of(client.ref):
        for note in plan.notes:
            found += [Hit(s, plan.ref, "note") for s in _SPLIT.split(note) if s]
        for activity in plan.activities:
            found += [
                Hit(s, plan.ref, "routine", visit=activity.kind)
                for s in _SPLIT.split(activity.description)
                if s
            ]
    for flag in care.flags_of(client.ref):
        found.append(Hit(flag.text, flag.ref, "flag", flag.clinical))
    for med in care.medications_of(client.ref):
        text = f"{med.name}: {'; '.join(med.dosage)}" if med.dosage else med.name
        found.append(Hit(text, med.ref, "medication", True))
    return found


# A question for an amount is answered only by a sentence that says one.
_AMOUNT = re.compile(r"\bhur (mycket|många)\b|\bhow (much|many)\b")


def _says_a_number(text: str) -> bool:
    said = normalize(text).split()
    return any(w.isdigit() or w in WORDS["sv"] or w in WORDS["en"] for w in said)


def search(
    care: CareData, client: Client, question: str, names: set[str], lang: str, limit: int = 3
) -> list[Hit]:
    """The client's recorded sentences that hold every content word of the question (a word,
    its stem, a synonym; one may be missing when there are three or more); empty otherwise. A
    sentence holding only some of them would answer another question ("Kan Anna äta allt eller
    finns allergier?" must not be answered with what she eats for breakfast)."""
    concepts = question_concepts(question, names, lang)
    said = _content_words(question, names)
    if not concepts or (said and all(_TIME_WORDS.fullmatch(w) for w in said)):
        return []  # "ska jag till Olle ikväll?" asks of a visit, not what is written of evenings
    scored = []
    amount = _AMOUNT.search(normalize(question)) is not None
    for hit in _sentences(client, care):
        if amount and not _says_a_number(hit.text):
            continue  # "hur mycket ska hon ha i sprutan?" is not answered without a dose
        text = f"{hit.text} {hit.visit}"  # a routine is also found by its visit's name
        words = stems_of(text, "sv") | stems_of(text, "en")
        written = normalize(hit.text).split()
        score = sum(_matches(concept, words, written) for concept in concepts)
        if score:
            scored.append((score, hit))
    # Every word of a short question; one may be missing from a long one (a filler we don't list).
    needed = len(concepts) if len(concepts) < 3 else len(concepts) - 1
    best = max((score for score, _ in scored), default=0)
    if best < needed:
        return []
    return [hit for score, hit in scored if score == best][:limit]


def nearest(
    scores: Sequence[float], floor: float, sure: float, margin: float
) -> tuple[list[int], bool]:
    """The recorded sentences nearest a question in meaning, by their cosines ``scores``, and
    whether they answer it. Sure: the best reaches ``sure`` and stands ``margin`` above every
    other sentence; it is read as the answer. Else, from ``floor``, the best and the next if
    near it (within NEAR_OFFERED) are offered as the nearest the records come."""
    ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
    if not ranked:
        return [], False
    best = scores[ranked[0]]
    second = scores[ranked[1]] if len(ranked) > 1 else -1.0
    if best >= sure and best - second >= margin:
        return ranked[:1], True
    if best < floor:
        return [], False
    return [i for i in ranked[:2] if scores[i] >= best - NEAR_OFFERED], False


# Measured on tests/data/eval/records_dev.jsonl (bench/records_meaning.py, 2026-12-05): the
# right sentence was second within this of the first for several questions the first missed.
NEAR_OFFERED = 0.03
