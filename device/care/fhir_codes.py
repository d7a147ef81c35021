"""The FHIR R4 value sets of the coded fields the assistant reads, checked at import.

fhir.resources checks that a code is a string, not that it is one of the codes its value set
allows; an Appointment with ``status: "bokad"`` would import and then be missing from every
answer (only ``booked`` visits are "next"). A code outside these sets refuses the bundle.
Codes from hl7.org/fhir/R4 (required bindings).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from device.bounded import quote

_STATUS: dict[str, frozenset[str]] = {
    # hl7.org/fhir/R4/valueset-appointmentstatus.html
    "Appointment": frozenset(
        "proposed pending booked arrived fulfilled cancelled noshow entered-in-error "
        "checked-in waitlist".split()
    ),
    # valueset-request-status.html
    "CarePlan": frozenset(
        "draft active on-hold revoked completed entered-in-error unknown".split()
    ),
    # valueset-flag-status.html
    "Flag": frozenset("active inactive entered-in-error".split()),
    # valueset-medicationrequest-status.html
    "MedicationRequest": frozenset(
        "active on-hold cancelled completed entered-in-error stopped draft unknown".split()
    ),
}
# valueset-name-use.html, valueset-contact-point-system.html, valueset-address-use.html
_NAME_USE = frozenset("usual official temp nickname anonymous old maiden".split())
_TELECOM_SYSTEM = frozenset("phone fax email pager url sms other".split())
_ADDRESS_USE = frozenset("home work temp old billing".split())
_PEOPLE = frozenset({"Patient", "Practitioner", "RelatedPerson", "PractitionerRole"})


def code_problems(entries: list[Any]) -> list[str]:
    """One line per coded field whose value is outside its FHIR value set (quoted briefly)."""
    problems: list[str] = []
    for i, entry in enumerate(entries):
        resource = entry["resource"]
        kind = str(resource["resourceType"])
        where = f"entry {i} ({kind}/{resource['id']})"

        def check(field: str, value: Any, allowed: frozenset[str], where: str = where) -> None:
            if value is not None and value not in allowed:
                problems.append(
                    f"{where}: field '{field}': {quote(value)} is not a FHIR R4 code "
                    f"(one of {', '.join(sorted(allowed))})"
                )

        if kind in _STATUS:
            check("status", resource.get("status"), _STATUS[kind])
        if kind not in _PEOPLE:
            continue
        for j, name in enumerate(_objects(resource.get("name"))):
            check(f"name[{j}].use", name.get("use"), _NAME_USE)
        for j, telecom in enumerate(_objects(resource.get("telecom"))):
            check(f"telecom[{j}].system", telecom.get("system"), _TELECOM_SYSTEM)
        for j, address in enumerate(_objects(resource.get("address"))):
            check(f"address[{j}].use", address.get("use"), _ADDRESS_USE)
    return problems


def _objects(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
