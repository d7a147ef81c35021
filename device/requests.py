"""One ``ask --jsonl`` line → a strict, bounded request, or one short error naming the field.

``confirmed`` is true only when the line says JSON ``true``: ``"false"``, ``"nej"``, ``1`` or
``"true"`` are errors for that line, never a released door code. Nothing here quotes more than a
short prefix of what was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from device.bounded import InputError, loads_bounded, quote

_FIELD_RULES = {
    "text": "text must be a string with the question",
    "now": "now must be an ISO 8601 time as a string, e.g. 2026-11-24T08:00",
    "confirmed": "confirmed must be true or false",
}


@dataclass(frozen=True)
class RequestLimits:
    max_line_bytes: int
    max_depth: int
    max_question_chars: int


class AskRequest(BaseModel):
    """A question with its time and confirmation; no other field is accepted."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    now: str | None = Field(None, max_length=64)
    confirmed: bool = False

    def is_confirmed(self, default: bool) -> bool:
        """The line's own ``confirmed`` when given, else the command line's ``--confirmed``."""
        return self.confirmed if "confirmed" in self.model_fields_set else default


def parse_request(raw: bytes | None, limits: RequestLimits) -> AskRequest | str:
    """The request on one line, or the error message for it (``raw`` None: the line was too
    long and has been skipped)."""
    if raw is None:
        return f"the line is longer than {limits.max_line_bytes:,} bytes (input.max_line_kb)"
    try:
        data = loads_bounded(raw, limits.max_line_bytes, limits.max_depth, "the line")
    except InputError as exc:
        return str(exc)
    if not isinstance(data, dict):
        return 'each line needs an object such as {"text": "Vem är mitt nästa besök?"}'
    try:
        request = AskRequest.model_validate(data)
    except ValidationError as exc:
        return _first_problem(exc)
    if len(request.text) > limits.max_question_chars:
        return (
            f"text is {len(request.text):,} characters, more than the limit of "
            f"{limits.max_question_chars:,} (input.max_question_chars)"
        )
    if not request.text.strip():
        return "text is empty"
    return request


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = error["loc"][0] if error["loc"] else ""
    if error["type"] == "extra_forbidden":
        return f"unknown field {quote(str(loc))}: a line has text, now and confirmed"
    if error["type"] == "missing":
        return f'the line has no "{loc}"'
    return _FIELD_RULES.get(str(loc), f"field {quote(str(loc))} is not valid")
