"""Synthetic care-data bundles for benchmarks and tests: made-up people, a team's days of visits.

``make_bundle(clients=30, days=1)`` gives a FHIR R4 collection Bundle shaped like the example.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

GIVEN = [
    "Anna",
    "Bertil",
    "Greta",
    "Yusuf",
    "Karin",
    "Lars",
    "Eva",
    "Sven",
    "Ingrid",
    "Olle",
    "Maja",
    "Nils",
    "Elsa",
    "Gunnar",
    "Astrid",
    "Amina",
    "Ahmed",
    "Birgitta",
    "Stig",
    "Margit",
    "Rolf",
    "Ulla",
    "Kjell",
    "Solveig",
    "Hassan",
    "Leila",
    "Per",
    "Britt",
    "Arne",
    "Siv",
]
FAMILY = [
    "Andersson",
    "Karlsson",
    "Nilsson",
    "Hassan",
    "Johansson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Jansson",
    "Hansson",
    "Bengtsson",
    "Lindberg",
    "Lindqvist",
    "Axelsson",
    "Ali",
    "Berg",
    "Holm",
    "Lund",
    "Sandberg",
    "Forsberg",
    "Sjöberg",
    "Wallin",
    "Engström",
    "Eklund",
    "Danielsson",
]
STREETS = ["Linnégatan", "Allmänna vägen", "Mariagatan", "Karl Johansgatan", "Oscarsgatan"]
KINDS = [
    ("Morgon", 7, 30),
    ("Förmiddag", 10, 45),
    ("Lunch", 12, 30),
    ("Eftermiddag", 15, 45),
    ("Kväll", 19, 30),
]
ROUTINES = {
    "Morgon": "Hjälp med dusch och påklädning. Frukost.",
    "Förmiddag": "Handla enligt listan. Promenad om vädret tillåter.",
    "Lunch": "Värm matlådan. Diska efteråt.",
    "Eftermiddag": "Städa köket. Fika.",
    "Kväll": "Hjälp med kvällstoalett. Kontrollera att spisen är avstängd.",
}
TZ = ZoneInfo("Europe/Stockholm")


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:{resource['resourceType'].lower()}-{resource['id']}",
        "resource": resource,
    }


def _ref(kind: str, rid: str) -> dict[str, str]:
    return {"reference": f"{kind}/{rid}"}


def make_bundle(
    clients: int = 30, days: int = 1, start: date = date(2026, 11, 24), seed: int = 7
) -> dict[str, Any]:
    """A bundle of ``clients`` clients, each with 1–3 visits a day for ``days`` days."""
    rng = random.Random(seed)
    clock = random.Random(seed + 1)  # separate, so the people don't depend on `days`
    entries = [
        _entry({"resourceType": "Organization", "id": "team-synth", "name": "Hemtjänst Syntet"}),
    ]
    for pid, given, family, title in (
        ("w-1", "Lina", "Berg", None),
        ("w-nurse", "Sara", "Holm", "Sjuksköterska"),
        ("w-coord", "Peter", "Lund", "Samordnare"),
    ):
        entries.append(
            _entry(
                {
                    "resourceType": "Practitioner",
                    "id": pid,
                    "name": [{"use": "official", "family": family, "given": [given]}],
                    "telecom": [{"system": "phone", "value": f"031-365 10 {rng.randint(10, 99)}"}],
                }
            )
        )
        if title:
            entries.append(
                _entry(
                    {
                        "resourceType": "PractitionerRole",
                        "id": f"role-{pid}",
                        "practitioner": _ref("Practitioner", pid),
                        "code": [{"text": title}],
                    }
                )
            )
    for i in range(clients):
        cid = f"c{i:03d}"
        given = GIVEN[i % len(GIVEN)]
        family = FAMILY[(i * 7 + i // len(GIVEN)) % len(FAMILY)]
        entries.append(
            _entry(
                {
                    "resourceType": "Patient",
                    "id": cid,
                    "name": [{"use": "official", "family": family, "given": [given]}],
                    "address": [
                        {
                            "use": "home",
                            "line": [f"{rng.choice(STREETS)} {rng.randint(1, 120)}"],
                            "postalCode": f"41{rng.randint(1, 9)} {rng.randint(10, 99)}",
                            "city": "Göteborg",
                            "extension": [
                                {
                                    "url": "urn:hemassist:fhir:access-code",
                                    "valueString": f"Portkod {rng.randint(1000, 9999)}",
                                }
                            ],
                        }
                    ],
                }
            )
        )
        entries.append(
            _entry(
                {
                    "resourceType": "RelatedPerson",
                    "id": f"{cid}-rel",
                    "patient": _ref("Patient", cid),
                    "name": [{"family": family, "given": [rng.choice(GIVEN)]}],
                    "relationship": [
                        {"text": rng.choice(["dotter", "son", "fru", "systerdotter"])}
                    ],
                    "telecom": [{"system": "phone", "value": f"070-{rng.randint(100, 999)} 00 00"}],
                }
            )
        )
        kinds = rng.sample(KINDS, rng.randint(1, 3))
        entries.append(
            _entry(
                {
                    "resourceType": "CarePlan",
                    "id": f"{cid}-plan",
                    "status": "active",
                    "intent": "plan",
                    "subject": _ref("Patient", cid),
                    "activity": [
                        {
                            "detail": {
                                "status": "scheduled",
                                "code": {"text": k},
                                "description": ROUTINES[k],
                            }
                        }
                        for k, _, _ in kinds
                    ],
                    "note": [{"text": "Tycker om att prata om gamla tider."}],
                }
            )
        )
        entries.append(
            _entry(
                {
                    "resourceType": "Flag",
                    "id": f"{cid}-flag",
                    "status": "active",
                    "category": [{"text": rng.choice(["clinical", "safety"])}],
                    "code": {
                        "text": rng.choice(["Fallrisk", "Allergi mot nötter", "Katt i lägenheten"])
                    },
                    "subject": _ref("Patient", cid),
                }
            )
        )
        entries.append(
            _entry(
                {
                    "resourceType": "MedicationRequest",
                    "id": f"{cid}-med",
                    "status": "active",
                    "intent": "order",
                    "subject": _ref("Patient", cid),
                    "medicationCodeableConcept": {"text": "Alvedon"},
                    "dosageInstruction": [{"text": "500 mg vid behov"}],
                }
            )
        )
        for day in range(days):
            on = start + timedelta(days=day)
            for kind, hour, minutes in kinds:
                begin = datetime(
                    on.year, on.month, on.day, hour, clock.choice([0, 15, 30]), tzinfo=TZ
                )
                entries.append(
                    _entry(
                        {
                            "resourceType": "Appointment",
                            "id": f"{cid}-{day}-{hour}",
                            "status": "booked",
                            "serviceType": [{"text": kind}],
                            "description": kind,
                            "start": begin.isoformat(),
                            "end": (begin + timedelta(minutes=minutes)).isoformat(),
                            "participant": [
                                {"actor": _ref("Patient", cid), "status": "accepted"},
                                {"actor": _ref("Practitioner", "w-1"), "status": "accepted"},
                            ],
                        }
                    )
                )
    return {
        "resourceType": "Bundle",
        "id": f"synth-{clients}-{days}",
        "type": "collection",
        "timestamp": datetime.combine(start, datetime.min.time(), TZ).isoformat(),
        "entry": entries,
    }


def bundle_with_resources(target: int, seed: int = 7) -> dict[str, Any]:
    """A bundle of about ``target`` resources: 30 clients and as many days as that takes."""
    one, two = (len(make_bundle(30, d, seed=seed)["entry"]) for d in (1, 2))
    daily = two - one
    return make_bundle(30, max(1, round((target - (one - daily)) / daily)), seed=seed)


def fill_outbox(box: Any, n: int, start: datetime | None = None) -> None:
    """Queue ``n`` hourly stats messages in one transaction: a device that was offline long."""
    from device.telemetry.schema import StatsMessage, TurnCount

    first = start or datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
    turn = TurnCount(
        intent="next_visit",
        language="sv",
        path="template",
        outcome="answered",
        engine="text",
        count=1,
    )
    identity = box.identity

    def body() -> None:
        for i in range(n):
            box._enqueue_locked(
                lambda seq, i=i: StatsMessage(
                    device_id=identity.device_id,
                    org=identity.org,
                    seq=seq,
                    hour_start=first + timedelta(hours=i),
                    turns=[turn],
                    latency=[],
                ),
                datetime.now(ZoneInfo("UTC")),  # queued now, about hours long past
            )

    box._write("fill", body)
