"""Medicines a worker may name that no client's list holds ("ska Anna ha nån Alvedon idag?"),
and the everyday classes they are asked by ("hennes blodförtunnande"). The care grammar only
knows the medicines of the care data; without this a medicine off the list was read as a
records question, or not at all.

A fixed table, not a judgement: a class is answered only with the list's own orders whose
name is in it, read as recorded and marked must-verify, and the whole list is said beside.
**A nurse should review it** (docs/understanding.md), as for `records.SYNONYMS`.
"""

from __future__ import annotations

import re

from device.nlu.question import Question
from device.nlu.recognizer import Recognition

# Names as a worker says them, lower case: Swedish brands and generic names common in
# home care for older people (FASS), one class each where one is asked for.
_CLASSES: dict[str, list[str]] = {
    "blood_thinner": (
        "waran warfarin eliquis apixaban xarelto rivaroxaban pradaxa dabigatran lixiana "
        "edoxaban trombyl acetylsalicylsyra klopidogrel clopidogrel plavix brilique "
        "tikagrelor fragmin dalteparin klexane enoxaparin innohep"
    ).split(),
    "painkiller": (
        "alvedon panodil paracetamol pamol ipren ibuprofen naproxen pronaxen voltaren "
        "diklofenak tramadol tradolan oxynorm oxycontin oxikodon morfin dolcontin citodon "
        "kodein norspan buprenorfin fentanyl durogesic targiniq"
    ).split(),
    "diuretic": (
        "furix furosemid spironolakton aldactone bendroflumetiazid salures hydroklortiazid "
        "torem torasemid"
    ).split(),
    "sleeping_pill": (
        "zopiklon imovane propavan propiomazin zolpidem stilnoct melatonin circadin theralen"
    ).split(),
    "sedative": "oxascand oxazepam sobril atarax hydroxizin stesolid diazepam".split(),
    "laxative": "movicol laxoberal lactulos forlax inolaxol microlax dulcolax".split(),
    "stomach": "omeprazol losec pantoprazol esomeprazol nexium".split(),
    "diabetes": "metformin insulin novorapid lantus levemir humalog glimepirid".split(),
    "dementia": "donepezil aricept memantin ebixa galantamin rivastigmin exelon".split(),
    "inhaler": "spiriva symbicort ventoline airomir bricanyl seretide".split(),
    "blood_pressure": (
        "enalapril ramipril amlodipin metoprolol seloken losartan candesartan atacand"
    ).split(),
}
_OTHERS = (
    "levaxin simvastatin atorvastatin sertralin citalopram escitalopram mirtazapin kåvepenin "
    "amoxicillin flukloxacillin doxyferm furadantin selexid xalatan latanoprost oftagel "
    "kaliumklorid behepan folsyra calcichew digoxin"
).split()
DRUG_NAMES = frozenset({*(n for names in _CLASSES.values() for n in names), *_OTHERS})

# How a class is asked for, in both languages (normalised words).
_CLASS_SAID = {
    "blood_thinner": r"blodförtunnande|blodförtunnare|blood thinners?|anticoagulants?",
    "painkiller": r"smärtstillande|värktabletter?|painkillers?|pain relief|pain medication",
    "diuretic": r"vätskedrivande|diuretics?|water tablets?|water pills?",
    "sleeping_pill": r"sömntabletter?|sömnmedel|sömnmedicin|sleeping (pills?|tablets?)",
    "sedative": r"lugnande|sedatives?",
    "laxative": r"laxerande|laxermedel|laxatives?",
    "blood_pressure": r"blodtrycksmedicin|blodtryckstabletter?|blood pressure (pills?|medication)",
}
# Kinds of medicine said for one ("hennes ögongel", "his inhaler"): the word a list's name holds.
_KINDS = {
    "ögondroppar": "ögondroppar",
    "ögongel": "ögongel",
    "inhalator": "inhalator",
    "eye drops": "ögondroppar",
    "eye gel": "ögongel",
    "inhaler": "inhalator",
}
_SAID = sorted([*DRUG_NAMES, *_KINDS], key=len, reverse=True)
# How a class is said in an answer.
CLASS_NAMES = {
    "sv": {
        "blood_thinner": "blodförtunnande",
        "painkiller": "smärtstillande",
        "diuretic": "vätskedrivande",
        "sleeping_pill": "sömnmedel",
        "sedative": "lugnande",
        "laxative": "laxerande",
        "blood_pressure": "blodtrycksmedicin",
    },
    "en": {
        "blood_thinner": "blood thinners",
        "painkiller": "painkillers",
        "diuretic": "diuretics",
        "sleeping_pill": "sleeping pills",
        "sedative": "sedatives",
        "laxative": "laxatives",
        "blood_pressure": "blood pressure medicines",
    },
}
_DRUG = re.compile(r"\b(" + "|".join(_SAID) + r")(?:en|et|n)?\b")  # "Trombylen"
_CLASS = {key: re.compile(rf"\b({said})\b") for key, said in _CLASS_SAID.items()}


def drugs_named(plain: str) -> list[str]:
    """The medicine names of the table said in ``plain`` (normalised text), in order."""
    found = (_KINDS.get(m.group(1), m.group(1)) for m in _DRUG.finditer(plain))
    return list(dict.fromkeys(found))


def classes_named(plain: str) -> list[str]:
    """The classes of medicine asked for in ``plain`` ("blodförtunnande": blood_thinner)."""
    return [key for key, pattern in _CLASS.items() if pattern.search(plain)]


def in_class(medicine: str, key: str) -> bool:
    """Is a recorded medicine ("Waran", "Novorapid insulin") of that class by the table?"""
    return any(word in _CLASSES.get(key, ()) for word in re.findall(r"\w+", medicine.lower()))


# A medicine named beside an allergy or a reaction asks about that, not the list.
_NOT_THE_LIST = re.compile(r"allerg|\btål\b|\btåla\b|överkänslig|tolerat|reaction|reagera")


def medicine_reading(question: Question) -> Recognition | None:
    """ "ska Anna ha nån Alvedon idag", "ska jag ge anna hennes blodförtunnande": one client and
    one medicine or class of the table, read as that client's medication (that medicine, or
    that class); None when the question names more, or asks about an allergy."""
    if len(set(question.clients)) != 1 or _NOT_THE_LIST.search(question.plain):
        return None
    drugs, classes = drugs_named(question.plain), classes_named(question.plain)
    if len(drugs) + len(classes) != 1:
        return None
    slots: dict[str, object] = {"client": (question.clients[0],)}
    if drugs:
        slots["medicine"] = drugs[0]
    else:
        slots["drug_class"] = classes[0]
    return Recognition("medication", question.language, slots)
