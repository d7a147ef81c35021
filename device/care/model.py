"""The care data the assistant answers from: small frozen records, each with the FHIR
reference (``ResourceType/id``) it came from, and a read-only index over one bundle."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

RoleKind = Literal["nurse", "coordinator", "other"]


@dataclass(frozen=True, slots=True)
class Client:
    ref: str
    given: str
    family: str
    nicknames: tuple[str, ...] = ()
    address: str | None = None
    access_code: str | None = None
    phone: str | None = None
    languages: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}".strip()

    @property
    def call_name(self) -> str:
        """What the client wants to be called: the nickname when there is one."""
        return self.nicknames[0] if self.nicknames else self.given


@dataclass(frozen=True, slots=True)
class Practitioner:
    ref: str
    given: str
    family: str
    phone: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}".strip()


@dataclass(frozen=True, slots=True)
class Role:
    ref: str
    practitioner: str
    title: str
    kind: RoleKind
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Relative:
    ref: str
    client: str
    given: str
    family: str
    relation: str
    phone: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}".strip()


@dataclass(frozen=True, slots=True)
class Visit:
    ref: str
    client: str
    practitioners: tuple[str, ...]
    status: str
    start: datetime
    end: datetime
    kind: str
    description: str | None = None
    comment: str | None = None

    @property
    def booked(self) -> bool:
        return self.status == "booked"

    @property
    def cancelled(self) -> bool:
        return self.status in ("cancelled", "noshow")


@dataclass(frozen=True, slots=True)
class Activity:
    kind: str
    description: str


@dataclass(frozen=True, slots=True)
class CarePlan:
    ref: str
    client: str
    activities: tuple[Activity, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Flag:
    ref: str
    client: str
    category: str
    text: str

    @property
    def clinical(self) -> bool:
        return self.category.lower() == "clinical"


@dataclass(frozen=True, slots=True)
class Medication:
    ref: str
    client: str
    status: str
    name: str
    dosage: tuple[str, ...]


@dataclass(frozen=True)
class CareData:
    """One imported bundle, indexed for the questions workers ask."""

    bundle_id: str
    exported: datetime | None
    team: str | None = None
    clients: tuple[Client, ...] = ()
    practitioners: tuple[Practitioner, ...] = ()
    roles: tuple[Role, ...] = ()
    relatives: tuple[Relative, ...] = ()
    visits: tuple[Visit, ...] = ()
    careplans: tuple[CarePlan, ...] = ()
    flags: tuple[Flag, ...] = ()
    medications: tuple[Medication, ...] = ()
    _by_client: dict[str, dict[str, list[object]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index: dict[str, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
        for kind, records in (
            ("relatives", self.relatives),
            ("visits", self.visits),
            ("careplans", self.careplans),
            ("flags", self.flags),
            ("medications", self.medications),
        ):
            for record in records:
                index[record.client][kind].append(record)
        object.__setattr__(self, "_by_client", {k: dict(v) for k, v in index.items()})
        object.__setattr__(self, "visits", tuple(sorted(self.visits, key=lambda v: v.start)))

    @staticmethod
    def empty() -> CareData:
        return CareData(bundle_id="", exported=None)

    def client(self, ref: str) -> Client | None:
        return next((c for c in self.clients if c.ref == ref), None)

    def practitioner(self, ref: str) -> Practitioner | None:
        return next((p for p in self.practitioners if p.ref == ref), None)

    def person_name(self, ref: str) -> str | None:
        """The full name of anyone the care data knows: client, relative or worker."""
        people: list[Client | Practitioner | Relative] = [
            *self.clients,
            *self.relatives,
            *self.practitioners,
        ]
        return next((p.full_name for p in people if p.ref == ref), None)

    def _of(self, client: str, kind: str) -> list[object]:
        return self._by_client.get(client, {}).get(kind, [])

    def relatives_of(self, client: str) -> list[Relative]:
        return [r for r in self._of(client, "relatives") if isinstance(r, Relative)]

    def visits_of(self, client: str) -> list[Visit]:
        return [v for v in self._of(client, "visits") if isinstance(v, Visit)]

    def careplans_of(self, client: str) -> list[CarePlan]:
        return [p for p in self._of(client, "careplans") if isinstance(p, CarePlan)]

    def flags_of(self, client: str) -> list[Flag]:
        return [f for f in self._of(client, "flags") if isinstance(f, Flag)]

    def medications_of(self, client: str) -> list[Medication]:
        return [m for m in self._of(client, "medications") if isinstance(m, Medication)]

    def roles_of_kind(self, kind: RoleKind) -> list[Role]:
        return [r for r in self.roles if r.kind == kind]
