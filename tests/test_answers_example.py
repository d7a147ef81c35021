"""One question in, the intent, its sources and the key facts of the answer out, on the example
bundle, in Swedish and English. Sources are checked exactly: they are the answer's provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from device.assistant import Assistant
from device.care.fhir_import import read_bundle
from device.nlu.recognizer import Templates
from device.settings import Settings
from tests.conftest import MORNING, TZ

DATA = Path(__file__).parent / "data"

NOON = datetime(2026, 11, 24, 11, 20, tzinfo=TZ)  # during Greta's lunch visit
AFTERNOON = datetime(2026, 11, 24, 14, 0, tzinfo=TZ)


@dataclass(frozen=True)
class Case:
    question: str
    intent: str
    sources: list[str]
    says: list[str] = field(default_factory=list)
    language: str = "sv"
    now: datetime = MORNING
    must_verify: bool = False
    gated: bool = False
    confirmed: bool = False


ANNA = "Patient/p-anna"
BERTIL = "Patient/p-bertil"
GRETA = "Patient/p-greta"
GRETA_MEDS = ["MedicationRequest/p-greta-med1"]
YUSUF = "Patient/p-yusuf"
# The afternoon's visits and clients, asked for in more than one way.
AFTERNOON_VISITS = [
    "Appointment/p-anna-v2",
    ANNA,
    "Appointment/p-bertil-v2",
    BERTIL,
    "Appointment/p-yusuf-v1",
    YUSUF,
]

CASES = [
    # next visit
    Case(
        "Vem är mitt nästa besök?",
        "next_visit",
        ["Appointment/p-anna-v1", ANNA],
        ["Anna Andersson", "klockan åtta", "Linnégatan 12"],
    ),
    Case("Vart ska jag härnäst?", "next_visit", ["Appointment/p-anna-v1", ANNA], ["klockan åtta"]),
    Case(
        "Vem är mitt nästa besök?",
        "next_visit",
        ["Appointment/p-greta-v1", GRETA, "Appointment/p-anna-v2", ANNA],
        ["hos Greta Nilsson nu", "tio i tolv", "Anna Andersson", "klockan tolv"],
        now=NOON,
    ),
    Case(
        "Who is my next visit?",
        "next_visit",
        ["Appointment/p-anna-v1", ANNA],
        ["Anna Andersson", "eight o'clock"],
        language="en",
    ),
    # schedule
    Case(
        "Vad har jag idag?",
        "schedule",
        [
            "Appointment/p-anna-v1",
            ANNA,
            "Appointment/p-bertil-v1",
            BERTIL,
            "Appointment/p-greta-v1",
            GRETA,
            "Appointment/p-anna-v2",
            "Appointment/p-bertil-v2",
            "Appointment/p-yusuf-v1",
            YUSUF,
            "Appointment/p-anna-v3",
        ],
        [
            "sju besök",
            "Anna Andersson klockan åtta",
            "Bertil Karlsson klockan tio",
            "Greta Nilsson kvart över elva",
        ],
    ),
    Case(
        "Vad har jag på eftermiddagen?",
        "schedule",
        AFTERNOON_VISITS,
        ["tre besök", "halv tre", "klockan fyra"],
    ),
    # "Efter lunch" is the afternoon, and the answer says so.
    Case(
        "Vilka har jag efter lunch?",
        "schedule",
        AFTERNOON_VISITS,
        ["På eftermiddagen", "tre besök"],
    ),
    Case(
        "Vilka besök har jag på kvällen?",
        "schedule",
        ["Appointment/p-anna-v3", ANNA],
        ["ett besök", "Anna Andersson klockan sju"],
    ),
    Case(
        "Vad har jag efter klockan tre?",
        "schedule",
        ["Appointment/p-yusuf-v1", YUSUF, "Appointment/p-anna-v3", ANNA],
        ["Efter klockan tre", "två besök", "Yusuf Hassan"],
    ),
    Case(
        "Vad har jag efter 14:30?",
        "schedule",
        [
            "Appointment/p-bertil-v2",
            BERTIL,
            "Appointment/p-yusuf-v1",
            YUSUF,
            "Appointment/p-anna-v3",
            ANNA,
        ],
        ["Efter halv tre", "tre besök"],
    ),
    Case(
        "Vem ska jag till kvart över elva?",
        "schedule",
        ["Appointment/p-greta-v1", GRETA],
        ["Greta Nilsson", "kvart över elva till tio i tolv"],
    ),
    Case(
        "Vem ska jag till halv tre?",
        "schedule",
        ["Appointment/p-bertil-v2", BERTIL],
        ["Bertil Karlsson"],
    ),
    Case(
        "Hur många besök har jag idag?",
        "schedule_count",
        [
            "Appointment/p-anna-v1",
            "Appointment/p-bertil-v1",
            "Appointment/p-greta-v1",
            "Appointment/p-anna-v2",
            "Appointment/p-bertil-v2",
            "Appointment/p-yusuf-v1",
            "Appointment/p-anna-v3",
        ],
        ["sju besök"],
    ),
    Case(
        "How many visits do I have in the afternoon?",
        "schedule_count",
        ["Appointment/p-anna-v2", "Appointment/p-bertil-v2", "Appointment/p-yusuf-v1"],
        ["three visits"],
        language="en",
    ),
    Case(
        "What do I have after half past two?",
        "schedule",
        [
            "Appointment/p-bertil-v2",
            BERTIL,
            "Appointment/p-yusuf-v1",
            YUSUF,
            "Appointment/p-anna-v3",
            ANNA,
        ],
        ["three visits", "Bertil Karlsson at half past two"],
        language="en",
    ),
    # when a client's visit starts or ends
    Case(
        "När börjar besöket hos Bertil?",
        "visit_time",
        ["Appointment/p-bertil-v1", BERTIL],
        ["klockan tio"],
    ),
    Case(
        "När slutar besöket hos Bertil?",
        "visit_time",
        ["Appointment/p-bertil-v2", BERTIL],
        ["kvart över tre"],
        now=AFTERNOON,
    ),
    Case(
        "When does the visit with Yusuf start?",
        "visit_time",
        ["Appointment/p-yusuf-v1", YUSUF],
        ["four o'clock"],
        language="en",
    ),
    # what to do: the routine of the coming visit first
    Case(
        "Vad ska jag göra hos Bertil?",
        "routine",
        ["Appointment/p-bertil-v1", "CarePlan/p-bertil-plan", BERTIL],
        ["förmiddag", "Handla enligt inköpslistan", "rutiner för eftermiddag"],
    ),
    Case(
        "Vad ska jag göra hos Bertil?",
        "routine",
        ["Appointment/p-bertil-v2", "CarePlan/p-bertil-plan", BERTIL],
        ["eftermiddag", "Hjälp med dusch på tisdagar"],
        now=AFTERNOON,
    ),
    Case(
        "Vad ska jag göra hos Anna på kvällen?",
        "routine",
        ["CarePlan/p-anna-plan", ANNA],
        ["kväll", "stödstrumpor", "spisen"],
    ),
    Case(
        "Vad ska jag göra på nästa besök?",
        "routine",
        ["Appointment/p-anna-v1", "CarePlan/p-anna-plan", ANNA],
        ["Hjälp med dusch och påklädning", "morgonmedicin"],
        must_verify=True,
    ),
    Case(
        "Vad ska jag göra hos Greta?",
        "routine",
        ["Appointment/p-greta-v1", "CarePlan/p-greta-plan", GRETA],
        ["Mät blodsocker", "Måste kontrolleras"],
        must_verify=True,
    ),
    Case(
        "What should I do at Yusuf's?",
        "routine",
        ["Appointment/p-yusuf-v1", "CarePlan/p-yusuf-plan", YUSUF],
        ["afternoon", "Halal kost"],
        language="en",
    ),
    # notes and preferences
    # "Tänka på" asks for precautions: a briefing, her flag first, then the visit's points.
    Case(
        "Vad ska jag tänka på hos Greta?",
        "notes",
        ["Flag/p-greta-flag1", "CarePlan/p-greta-plan", GRETA],
        ["Diabetes typ 2", "Måste kontrolleras"],
        must_verify=True,
    ),
    Case(
        "Berätta om Greta",
        "notes",
        ["CarePlan/p-greta-plan", GRETA],
        ["Vill bli kallad Gittan"],
    ),
    # What one needs to know is a briefing: the allergy and the deaf ear, not only the radio.
    Case(
        "Vad behöver jag veta om Bertil?",
        "notes",
        ["CarePlan/p-bertil-plan", "Flag/p-bertil-flag1", "Flag/p-bertil-flag2", BERTIL],
        ["penicillin", "Hör dåligt på vänster öra"],
        must_verify=True,  # an allergy
    ),
    Case(
        "Vad tycker Anna om?",
        "notes",
        ["CarePlan/p-anna-plan", ANNA],
        ["trädgård", "kaffe med mjölk"],
    ),
    Case(
        "What should I know about Yusuf?",
        "notes",
        ["CarePlan/p-yusuf-plan", YUSUF],
        ["Talar somaliska", "Yusuf speaks Somali"],
        language="en",
    ),
    # When the day starts: its first visit (round16: "what time do I start tomorrow").
    Case(
        "When do I start today?",
        "next_visit",
        ["Appointment/p-anna-v1", ANNA],
        ["Anna"],
        language="en",
    ),
    # The day's plan in the words of round17 (issue 39, round 14).
    Case(
        "Who's after Bertil this afternoon?",
        "next_visit",
        ["Appointment/p-bertil-v2", "Appointment/p-yusuf-v1", YUSUF],
        ["After Bertil Karlsson comes Yusuf Hassan"],
        language="en",
    ),
    Case(
        "Vem kommer efter Bertil i eftermiddag?",
        "next_visit",
        ["Appointment/p-bertil-v2", "Appointment/p-yusuf-v1", YUSUF],
        ["Efter Bertil Karlsson kommer Yusuf Hassan"],
    ),
    Case(
        "What's left for me tonight?",
        "remaining",
        ["Appointment/p-anna-v3", ANNA],
        ["Anna Andersson at seven"],
        language="en",
    ),
    Case(
        "How long is the one at Anna's?",
        "visit_length",
        ["Appointment/p-anna-v1", ANNA],
        ["45 minutes"],
        language="en",
    ),
    Case(
        "Can I squeeze in a 45 minute break before the next one?",
        "time_left",
        ["Appointment/p-anna-v1", ANNA],
        ["No, there is not enough time", "30 minutes"],
        language="en",
    ),
    Case(
        "So when am I actually done for the day?",
        "day_end",
        ["Appointment/p-anna-v3", ANNA],
        ["ends at half past seven"],
        language="en",
    ),
    # The language a client speaks: the Patient record's, and the note about it as recorded.
    Case(
        "Vilket språk pratar Yusuf?",
        "notes",
        ["CarePlan/p-yusuf-plan", YUSUF],
        ["Yusuf talar somaliska.", "Talar somaliska, förstår enkel svenska."],
    ),
    Case(
        "What language does Bertil speak?",
        "notes",
        ["Patient/p-bertil"],
        ["I find nothing about the language Bertil Karlsson speaks"],
        language="en",
    ),
    # flags
    # A negative is said only after every record of hers was read; they are its sources.
    Case(
        "Har Greta några allergier?",
        "flags",
        [GRETA, "CarePlan/p-greta-plan", "Flag/p-greta-flag1", *GRETA_MEDS],
        ["hittar inget om allergier", "Greta Nilsson"],
    ),
    Case(
        "Har Bertil några allergier?",
        "flags",
        ["Flag/p-bertil-flag1", BERTIL],
        ["Allergi mot penicillin", "Måste kontrolleras"],
        must_verify=True,
    ),
    Case(
        "Finns det några risker hos Anna?",
        "flags",
        ["Flag/p-anna-flag1", ANNA],
        ["Fallrisk, använder rollator"],
    ),
    Case("Har Bertil husdjur?", "flags", ["Flag/p-bertil-flag2", BERTIL], ["Hund i lägenheten"]),
    Case("Vilka hjälpmedel har Anna?", "flags", ["Flag/p-anna-flag1", ANNA], ["rollator"]),
    # Cooking for a client: what the records say of food and drink, flags first (issue 39).
    Case(
        "What should I keep in mind when I cook for Yusuf?",
        "flags",
        ["CarePlan/p-yusuf-plan", YUSUF],
        ["Halal kost", "dricka vatten"],
        language="en",
    ),
    Case(
        "Vad får Greta inte äta?",
        "flags",
        ["Flag/p-greta-flag1", "CarePlan/p-greta-plan", GRETA],
        ["Diabetes typ 2", "diabeteskost"],
        must_verify=True,
    ),
    Case(
        "Does Bertil have any pets?",
        "flags",
        ["Flag/p-bertil-flag2", BERTIL],
        ["Hund i lägenheten"],
        language="en",
    ),
    Case(
        "Is Greta allergic to anything?",
        "flags",
        [GRETA, "CarePlan/p-greta-plan", "Flag/p-greta-flag1", *GRETA_MEDS],
        ["anything about allergies"],
        language="en",
    ),
    # medication: read as recorded, must verify
    Case(
        "Vilka mediciner tar Greta?",
        "medication",
        ["MedicationRequest/p-greta-med1", GRETA],
        ["Metformin", "500 mg två gånger dagligen, morgon och kväll", "signeringslistan"],
        must_verify=True,
    ),
    Case(
        "Vad får Anna för medicin?",
        "medication",
        ["MedicationRequest/p-anna-med1", ANNA],
        ["Waran", "Enligt dosschema, ges av sjuksköterska"],
        must_verify=True,
    ),
    Case("Vilka mediciner tar Yusuf?", "medication", [YUSUF], ["inga läkemedel"], must_verify=True),
    Case(
        "What medication does Greta take?",
        "medication",
        ["MedicationRequest/p-greta-med1", GRETA],
        ["Metformin", "signing list"],
        language="en",
        must_verify=True,
    ),
    # access codes: gated until confirmed
    Case("Vad är portkoden till Anna?", "access", [ANNA], ["Tryck på knappen"], gated=True),
    Case("Vad är portkoden till Anna?", "access", [ANNA], ["Portkod 4512"], confirmed=True),
    Case(
        "How do I get in at Bertil's?",
        "access",
        [BERTIL],
        ["Press the button"],
        language="en",
        gated=True,
    ),
    Case(
        "How do I get in at Bertil's?",
        "access",
        [BERTIL],
        ["Digitalt lås"],
        language="en",
        confirmed=True,
    ),
    # address
    Case("Var bor Yusuf?", "address", [YUSUF], ["Mariagatan 3, 414 71 Göteborg"]),
    Case("Vad är adressen till Gittan?", "address", [GRETA], ["Karl Johansgatan 101"]),
    Case("Where does Anna live?", "address", [ANNA], ["Linnégatan 12"], language="en"),
    # a relative's phone number
    Case(
        "Vad har Annas dotter för nummer?",
        "relative_phone",
        ["RelatedPerson/p-anna-rel1", ANNA],
        ["Karin Andersson", "070-123 45 67"],
    ),
    Case(
        "Ring Gretas systerdotter",
        "relative_phone",
        ["RelatedPerson/p-greta-rel1", GRETA],
        ["Eva Nilsson", "076-222 33 44"],
    ),
    Case(
        "Vad har Bertils dotter för nummer?",
        "relative_phone",
        [BERTIL, "RelatedPerson/p-bertil-rel1"],
        ["ingen dotter", "son Lars Karlsson"],
    ),
    Case(
        "What is Yusuf's daughter's number?",
        "relative_phone",
        ["RelatedPerson/p-yusuf-rel1", YUSUF],
        ["Hodan Hassan", "072-900 80 70", "daughter"],
        language="en",
    ),
    # escalation
    Case(
        "Vem är sjuksköterskan?",
        "escalation",
        ["PractitionerRole/role-w-nurse", "Practitioner/w-nurse"],
        ["Sara Holm", "031-365 10 99"],
    ),
    Case(
        "Jag behöver ringa samordnaren",
        "escalation",
        ["PractitionerRole/role-w-coord", "Practitioner/w-coord"],
        ["Peter Lund", "031-365 10 50"],
    ),
    Case(
        "Who is the nurse?",
        "escalation",
        ["PractitionerRole/role-w-nurse", "Practitioner/w-nurse"],
        ["The nurse is Sara Holm"],
        language="en",
    ),
    # A client ill or fallen: 112 first, then the nurse (not the coordinator, not a relative).
    Case(
        "Vem ska jag ringa om Greta blir sjuk?",
        "escalation",
        ["PractitionerRole/role-w-nurse", "Practitioner/w-nurse"],
        ["Är det akut, ring 112.", "Sara Holm", "031-365 10 99"],
    ),
    Case(
        "Who do I call if Bertil has fallen?",
        "escalation",
        ["PractitionerRole/role-w-nurse", "Practitioner/w-nurse"],
        ["call 112", "Sara Holm"],
        language="en",
    ),
    # help and unknown
    Case("Hjälp", "help", [], ["automatisk assistent", "nästa besök"]),
    Case("What can you do?", "help", [], ["automated assistant"], language="en"),
    Case("Hur blir vädret i morgon?", "unknown", [], ["samordnaren"]),
    Case("What's the weather like tomorrow?", "unknown", [], ["coordinator"], language="en"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.question)
def test_example_question(assistant: Assistant, case: Case) -> None:
    turn = assistant.ask(case.question, now=case.now, confirmed=case.confirmed)
    assert turn.intent == case.intent
    assert turn.language == case.language
    assert sorted(turn.sources) == sorted(case.sources)
    for fact in case.says:
        assert fact in turn.answer
    assert turn.must_verify == case.must_verify
    assert turn.gated == case.gated


def test_gated_answer_never_contains_the_code(assistant: Assistant) -> None:
    for name, code in [("Anna", "4512"), ("Greta", "1990"), ("Yusuf", "7733")]:
        turn = assistant.ask(f"Vad är portkoden till {name}?", now=MORNING)
        assert turn.gated
        assert code not in turn.answer


def test_first_answer_of_a_session_says_it_is_automated(assistant: Assistant) -> None:
    first = assistant.ask("Vem är mitt nästa besök?", now=MORNING)
    second = assistant.ask("Vem är mitt nästa besök?", now=MORNING)
    assert first.answer.startswith("Det här är en automatisk assistent.")
    assert "automatisk" not in second.answer


def test_unknown_answer_has_no_sources_and_offers_the_coordinator(assistant: Assistant) -> None:
    turn = assistant.ask("Kan du beställa en taxi?", now=MORNING)
    assert (turn.intent, turn.sources, turn.outcome) == ("unknown", (), "unknown")
    assert "samordnaren" in turn.answer


def test_no_more_visits_late_in_the_evening(assistant: Assistant) -> None:
    turn = assistant.ask("Vem är mitt nästa besök?", now=datetime(2026, 11, 24, 21, 0, tzinfo=TZ))
    assert "inga fler besök" in turn.answer
    assert turn.sources == ()


def test_misheard_name_is_snapped_and_said_back_in_full(assistant: Assistant) -> None:
    # A full name that is nobody's but a near miss of a client's is hers, misheard: said back
    # with her full name first (issue 36), answered on "ja".
    turn = assistant.ask("Vad har Greta Nielsen för adress?", now=MORNING)
    assert turn.outcome == "clarify" and "Greta Nilsson" in turn.answer
    assert turn.path == "template-fuzzy"
    yes = assistant.ask("ja", now=MORNING)
    assert yes.intent == "address" and yes.sources == (GRETA,)


def test_spoken_confirmation_releases_the_code_only_when_configured(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch, templates: object
) -> None:
    gated = assistant.ask("Vad är portkoden till Greta?", now=MORNING)
    assert gated.gated
    # The default is the button: "ja" alone does not read the code.
    assert "1990" not in assistant.ask("Ja", now=MORNING).answer


@pytest.mark.parametrize(
    "question",
    [
        "Vad får Maria ta mot smärta?",
        "Maria Svensson says her hip hurts, can she have something for the pain?",
    ],
)
def test_a_painkiller_by_the_table_when_no_dosage_says_pain(
    settings: Settings, templates: Templates, question: str
) -> None:
    # round17: "Alvedon: 1 g vid behov" had been read as "the list has nothing for pain".
    talk = Assistant(settings, templates, None)
    talk.use_care(read_bundle(DATA / "second-bundle.json", 10**7).care)
    turn = talk.ask(question, now=datetime(2026, 11, 25, 9, 30, tzinfo=TZ))
    assert "Alvedon: 1 g vid behov" in turn.answer and turn.must_verify, turn.answer
    assert "inget" not in turn.answer.lower() and "nothing" not in turn.answer.lower()
