"""Pure mapping from FHIR R4 resources (plain dicts, already validated) to the care model.

Used by the import (after fhir.resources has validated the bundle) and when the store is loaded
(from the pruned resources it keeps), so it never needs the slow FHIR models at run time.
Only the fields that care-data.md lists are kept: everything else is dropped at import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from device.care.model import (
    Activity,
    CareData,
    CarePlan,
    Client,
    Flag,
    Medication,
    Practitioner,
    Relative,
    Role,
    RoleKind,
    Visit,
)

ACCESS_CODE_URL = "urn:hemassist:fhir:access-code"

# Data minimisation: the top-level fields kept per resource type; all other types are dropped.
KEPT_FIELDS: dict[str, frozenset[str]] = {
    "Organization": frozenset({"id", "name"}),
    "Practitioner": frozenset({"id", "name", "telecom"}),
    "PractitionerRole": frozenset({"id", "practitioner", "code", "telecom"}),
    "Patient": frozenset({"id", "name", "address", "telecom", "communication"}),
    "RelatedPerson": frozenset({"id", "patient", "name", "relationship", "telecom"}),
    "Appointment": frozenset(
        {"id", "status", "serviceType", "description", "comment", "start", "end", "participant"}
    ),
    "CarePlan": frozenset({"id", "status", "subject", "activity", "note"}),
    "Flag": frozenset({"id", "status", "category", "code", "subject"}),
    "MedicationRequest": frozenset(
        {"id", "status", "subject", "medicationCodeableConcept", "dosageInstruction"}
    ),
}

# Statuses whose records are answered from; others are not stored.
_LIVE_STATUS = {
    "CarePlan": {"active"},
    "Flag": {"active"},
    "MedicationRequest": {"active", "on-hold"},
}

_NURSE_WORDS = ("sjuksköterska", "nurse", "sköterska")
_COORDINATOR_WORDS = ("samordnare", "coordinator", "planerare")


class MappingError(ValueError):
    """A resource lacks something the device needs; ``field`` names it."""

    def __init__(self, ref: str, field: str, message: str) -> None:
        super().__init__(f"{ref}: field '{field}': {message}")
        self.ref = ref
        self.field = field


Resource = Mapping[str, Any]


def prune(resource: Resource) -> dict[str, Any] | None:
    """The resource cut down to the fields the device uses, or None when it isn't used at all."""
    kind = resource.get("resourceType")
    kept = KEPT_FIELDS.get(str(kind))
    if kept is None:
        return None
    live = _LIVE_STATUS.get(str(kind))
    if live is not None and resource.get("status") not in live:
        return None
    pruned = {k: v for k, v in resource.items() if k in kept}
    pruned["resourceType"] = kind
    return pruned


def ref_of(resource: Resource) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def references(resource: Resource) -> list[tuple[str, str]]:
    """Every (field path, reference) the device follows in this resource."""
    found: list[tuple[str, str]] = []

    def add(path: str, value: Any) -> None:
        if isinstance(value, Mapping) and isinstance(value.get("reference"), str):
            found.append((path, value["reference"]))

    add("subject", resource.get("subject"))
    add("patient", resource.get("patient"))
    add("practitioner", resource.get("practitioner"))
    for i, participant in enumerate(resource.get("participant") or []):
        add(f"participant[{i}].actor", participant.get("actor"))
    return found


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _name(resource: Resource, ref: str) -> tuple[str, str, tuple[str, ...]]:
    """(given, family, nicknames); the official name first, any other non-nickname name next."""
    names = [n for n in resource.get("name") or [] if isinstance(n, Mapping)]
    nicknames = tuple(
        _text(g) for n in names if n.get("use") == "nickname" for g in n.get("given") or []
    )
    regular = [n for n in names if n.get("use") != "nickname"]
    regular.sort(key=lambda n: n.get("use") != "official")
    for n in regular:
        given = " ".join(_text(g) for g in n.get("given") or [] if _text(g))
        family = _text(n.get("family"))
        if given or family:
            return given, family, tuple(x for x in nicknames if x)
    raise MappingError(ref, "name", "no name with a given or family part")


def _phone(resource: Resource) -> str | None:
    for telecom in resource.get("telecom") or []:
        if telecom.get("system") == "phone" and _text(telecom.get("value")):
            return _text(telecom.get("value"))
    return None


def _reference(value: Any) -> str:
    return _text(value.get("reference")) if isinstance(value, Mapping) else ""


def _first_text(concepts: Any) -> str:
    for concept in concepts or []:
        if _text(concept.get("text")):
            return _text(concept.get("text"))
        for coding in concept.get("coding") or []:
            if _text(coding.get("display")):
                return _text(coding.get("display"))
    return ""


def _client(resource: Resource) -> Client:
    ref = ref_of(resource)
    given, family, nicknames = _name(resource, ref)
    addresses = [a for a in resource.get("address") or [] if isinstance(a, Mapping)]
    addresses.sort(key=lambda a: a.get("use") != "home")
    address = access = None
    if addresses:
        home = addresses[0]
        street = ", ".join(_text(x) for x in home.get("line") or [] if _text(x))
        town = " ".join(x for x in (_text(home.get("postalCode")), _text(home.get("city"))) if x)
        address = ", ".join(x for x in (street, town) if x) or None
        for ext in home.get("extension") or []:
            if ext.get("url") == ACCESS_CODE_URL and _text(ext.get("valueString")):
                access = _text(ext.get("valueString"))
    languages = tuple(
        _text(coding.get("code"))
        for comm in resource.get("communication") or []
        for coding in (comm.get("language") or {}).get("coding") or []
        if _text(coding.get("code"))
    )
    return Client(ref, given, family, nicknames, address, access, _phone(resource), languages)


def _role_kind(title: str) -> RoleKind:
    lowered = title.lower()
    if any(w in lowered for w in _NURSE_WORDS):
        return "nurse"
    if any(w in lowered for w in _COORDINATOR_WORDS):
        return "coordinator"
    return "other"


def _instant(resource: Resource, ref: str, field: str) -> datetime:
    raw = resource.get(field)
    if not isinstance(raw, str):
        raise MappingError(ref, field, "a booked visit needs a start and an end time")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise MappingError(ref, field, "not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise MappingError(ref, field, "the time has no UTC offset")
    return value


def _visit(resource: Resource) -> Visit | None:
    ref = ref_of(resource)
    actors = [_reference(p.get("actor")) for p in resource.get("participant") or []]
    clients = [a for a in actors if a.startswith("Patient/")]
    if not clients:
        raise MappingError(ref, "participant", "no Patient among the participants")
    status = _text(resource.get("status"))
    if "start" not in resource and status != "booked":
        return None  # a proposed or cancelled visit without a time says nothing useful
    start = _instant(resource, ref, "start")
    end = _instant(resource, ref, "end")
    if end < start:
        raise MappingError(ref, "end", "the visit ends before it starts")
    return Visit(
        ref=ref,
        client=clients[0],
        practitioners=tuple(a for a in actors if a.startswith("Practitioner/")),
        status=status,
        start=start,
        end=end,
        kind=_first_text(resource.get("serviceType")) or _text(resource.get("description")),
        description=_text(resource.get("description")) or None,
        comment=_text(resource.get("comment")) or None,
    )


def _careplan(resource: Resource) -> CarePlan:
    activities = []
    for activity in resource.get("activity") or []:
        detail = activity.get("detail") or {}
        description = _text(detail.get("description"))
        if description:
            kind = _text((detail.get("code") or {}).get("text"))
            activities.append(Activity(kind=kind, description=description))
    notes = tuple(_text(n.get("text")) for n in resource.get("note") or [] if _text(n.get("text")))
    subject = _reference(resource.get("subject"))
    return CarePlan(ref_of(resource), subject, tuple(activities), notes)


def _flag(resource: Resource) -> Flag:
    ref = ref_of(resource)
    text = _text((resource.get("code") or {}).get("text")) or _first_text([resource.get("code")])
    if not text:
        raise MappingError(ref, "code.text", "a flag needs a text saying what to watch for")
    category = _first_text(resource.get("category")) or "safety"
    return Flag(ref, _reference(resource.get("subject")), category, text)


def _medication(resource: Resource) -> Medication:
    ref = ref_of(resource)
    name = _first_text([resource.get("medicationCodeableConcept") or {}])
    if not name:
        raise MappingError(
            ref, "medicationCodeableConcept.text", "the medication must be named as text"
        )
    dosage = tuple(
        _text(d.get("text"))
        for d in resource.get("dosageInstruction") or []
        if _text(d.get("text"))
    )
    return Medication(ref, _reference(resource.get("subject")), resource["status"], name, dosage)


def to_care_data(
    bundle_id: str, exported: datetime | None, resources: Iterable[Resource]
) -> CareData:
    """Build the care model from pruned resources; raises MappingError naming the field."""
    out: dict[str, list[Any]] = {
        k: [] for k in ("clients", "pract", "roles", "rels", "visits", "plans", "flags", "meds")
    }
    team: str | None = None
    for res in resources:
        kind = res.get("resourceType")
        ref = ref_of(res)
        if kind == "Organization":
            team = team or _text(res.get("name")) or None
        elif kind == "Patient":
            out["clients"].append(_client(res))
        elif kind == "Practitioner":
            given, family, _ = _name(res, ref)
            out["pract"].append(Practitioner(ref, given, family, _phone(res)))
        elif kind == "PractitionerRole":
            practitioner = _reference(res.get("practitioner"))
            if not practitioner:
                raise MappingError(ref, "practitioner", "a role must name its practitioner")
            title = _first_text(res.get("code"))
            out["roles"].append(Role(ref, practitioner, title, _role_kind(title), _phone(res)))
        elif kind == "RelatedPerson":
            given, family, _ = _name(res, ref)
            relation = _first_text(res.get("relationship")) or "anhörig"
            patient = _reference(res.get("patient"))
            out["rels"].append(Relative(ref, patient, given, family, relation, _phone(res)))
        elif kind == "Appointment":
            visit = _visit(res)
            if visit is not None:
                out["visits"].append(visit)
        elif kind == "CarePlan":
            out["plans"].append(_careplan(res))
        elif kind == "Flag":
            out["flags"].append(_flag(res))
        elif kind == "MedicationRequest":
            out["meds"].append(_medication(res))
    return CareData(
        bundle_id=bundle_id,
        exported=exported,
        team=team,
        clients=tuple(out["clients"]),
        practitioners=tuple(out["pract"]),
        roles=tuple(out["roles"]),
        relatives=tuple(out["rels"]),
        visits=tuple(out["visits"]),
        careplans=tuple(out["plans"]),
        flags=tuple(out["flags"]),
        medications=tuple(out["meds"]),
    )
