"""The words of hassil's parsed templates and slot lists, read without a snapshot's names: what
the wake-phrase spotter, the spoken grammar's filter and the vocabulary are built from."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from hassil import Intents, SlotList, TextSlotList
from hassil.expression import Alternative, Expression, Group, TextChunk

from device.nlu.text import normalize


def template_words(intents: Intents) -> set[str]:
    """The templates' literal words, expansion rules, own lists and skip words, read from hassil's
    parsed templates without a snapshot's names (a suffix such as "rutiner[na]" counts as two
    pieces): the words a wake-phrase spotter tells apart from its phrase."""
    texts: list[str] = list(intents.skip_words)
    for intent in intents.intents.values():
        for data in intent.data:
            for sentence in data.sentences:
                texts += _chunks(sentence.expression)
    for rule in intents.expansion_rules.values():
        texts += _chunks(rule.expression)
    for slot_list in intents.slot_lists.values():
        texts += _list_chunks(slot_list)
    return _words(texts)


def list_words(slot_list: SlotList) -> set[str]:
    """Every word a slot list's values can be said with ("(lunch|lunchen)": both)."""
    return _words(_list_chunks(slot_list))


def list_forms(slot_list: SlotList) -> set[str]:
    """Every form a slot list's values can be said in, whole and normalised ("i eftermiddag",
    not "i" and "eftermiddag")."""
    if not isinstance(slot_list, TextSlotList):
        return set()
    forms = set()
    for said in (value.text_in for value in slot_list.values):
        choices = said.items if isinstance(said, Alternative) else [said]
        forms |= {normalize("".join(_chunks(choice))) for choice in choices}
    return forms


def _words(texts: list[str]) -> set[str]:
    return {word for text in texts for word in normalize(text).split() if word.isalpha()}


def _list_chunks(slot_list: SlotList) -> list[str]:
    if not isinstance(slot_list, TextSlotList):
        return []
    return [text for value in slot_list.values for text in _chunks(value.text_in)]


def _chunks(expression: Expression) -> list[str]:
    if isinstance(expression, TextChunk):
        return [expression.original_text or expression.text]
    if isinstance(expression, Group):
        return [text for item in expression.items for text in _chunks(item)]
    return []


@contextlib.contextmanager
def quiet(logger: logging.Logger) -> Iterator[None]:
    """``logger`` kept to errors meanwhile (hassil warns of a list left empty on purpose)."""
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
