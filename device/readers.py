"""The readers a question goes to when no template reads it: the template sentences nearest in
meaning (device/nlu/similar_reader.py) and the client's own records (device/answers/records.py).
Each proposes a reading; the assistant decides (device/assistant.py)."""

from __future__ import annotations

import time

from device.answers.handlers import can_restate
from device.answers.records import NOT_FOR_RECORDS, search
from device.care.model import CareData
from device.nlu.agreement import agrees, asks_a_name_it_lacks, supported_beyond_time
from device.nlu.recognizer import Recognition, Recognizer
from device.nlu.similar_reader import SimilarReader
from device.nlu.text import normalize
from device.settings import Settings
from device.turn import ms_since


def in_records(text: str, rec: Recognition, recognizer: Recognizer, care: CareData) -> Recognition:
    """A question naming one client, about something written in their records."""
    clients = recognizer.names.named_in(text)
    if len(clients) != 1 or NOT_FOR_RECORDS.search(normalize(text)):
        return rec
    reading = Recognition("records", rec.language, {"client": clients, "about": text})
    client = care.client(clients[0])
    if client is None:
        return rec
    names = set(recognizer.names.forms)
    return reading if search(care, client, text, names, rec.language) else rec


def read_similar(
    text: str,
    rec: Recognition,
    similar: SimilarReader | None,
    recognizer: Recognizer,
    care: CareData,
    settings: Settings,
    timings: dict[str, float],
) -> tuple[Recognition | None, bool]:
    """The reading of the template sentences nearest in meaning (None: none near enough, or
    one that could only be said back and can't be), and whether it is sure enough to answer
    at once: clear ahead of every other reading, and its words fit the question."""
    if similar is None or not care.clients:
        return None, False
    started = time.perf_counter()
    found = similar.read(text, rec, recognizer)
    timings["similar"] = ms_since(started)
    if found is None:
        return None, False
    reading, clear = found
    threshold = settings.answers.name_match_threshold
    fits = agrees(reading, text, recognizer.names, threshold)
    sure = clear and fits and supported_beyond_time(reading.intent, text)
    sure = sure and not asks_a_name_it_lacks(reading.intent, text)
    if not sure and not can_restate(reading.language, reading.intent):
        return None, False
    return reading, sure
