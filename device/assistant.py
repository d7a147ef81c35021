"""One conversation with the assistant: text in, answer with sources out.

Holds what a session remembers: whether the automated-assistant notice has been given, an access
code waiting for a confirmation, and a question waiting for the worker to say which client."""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from device.answers.handlers import HANDLERS, NEEDS_DATA, Ask, Reply, can_restate, restate
from device.answers.phrases import say
from device.answers.redact import code_tokens, redact
from device.care.model import CareData
from device.care.store import CareStore
from device.nlu.agreement import agrees, answers_what_is_asked
from device.nlu.clauses import in_parts, left_behind
from device.nlu.drugs import medicine_reading
from device.nlu.followup import new_question
from device.nlu.llm import LlmFallback, read_within_budget
from device.nlu.people import Directory
from device.nlu.question import read_question
from device.nlu.recognizer import Recognition, Recognizer, Templates
from device.nlu.similar_reader import SimilarReader
from device.nlu.situations import whom_to_call
from device.nlu.text import guess_language, normalize
from device.readers import known_words, read_unknown, recorded
from device.session import Conversation, Leaning, chosen, released, two_clients_asked, vet_reading
from device.settings import Settings
from device.signals import Answered, Signal, SignalWatch
from device.turn import Turn, path_of, plain_slots

log = logging.getLogger("hemassist.assistant")

# A spoken "ja" releases an access code only right after the question.
CONFIRM_WINDOW = timedelta(seconds=60)


@dataclass
class _Waiting:
    recognition: Recognition
    since: datetime


class Assistant:
    """Recognise, look up, phrase. Reloads the care data when an import has replaced it."""

    def __init__(
        self,
        settings: Settings,
        templates: Templates,
        store: CareStore | None,
        llm: LlmFallback | None = None,
        wait_for_llm: bool = False,
        similar: SimilarReader | None = None,
    ) -> None:
        self._settings = settings
        self._wait_for_llm = wait_for_llm
        self._templates = templates
        self._store = store
        self._llm = llm
        self._similar = similar
        self._version: tuple[int, int | None] | None = None
        self.care = CareData.empty()
        self._code_tokens: set[str] = set()
        self._recognizer = Recognizer(templates, self.care, settings.answers.name_match_threshold)
        self._people = Directory.of(self.care)
        self._greeted = False
        self._gated: _Waiting | None = None
        self._choosing: _Waiting | None = None
        self._clarifying: _Waiting | None = None
        self._last: Reply | None = None
        self._conversation = Conversation(settings.answers.focus_s)
        self._spoken_language: str = settings.language
        self._signals = SignalWatch(timedelta(seconds=settings.telemetry.repeat_window_s))
        self.refresh()

    def refresh(self) -> None:
        """Load the care data again if another process imported a new bundle."""
        if self._store is None:
            return
        version = (self._store.data_version(), self._store.active_snapshot())
        if version == self._version:
            return
        self.use_care(self._store.load())
        self._version = version

    def use_care(self, care: CareData) -> None:
        self.care = care
        self._code_tokens = code_tokens(care)
        self._recognizer = Recognizer(
            self._templates, care, self._settings.answers.name_match_threshold
        )
        # The records' words are no surnames: "tål siv nötter" names no "Siv Nötter".
        self._people = Directory.of(care, [*self._recognizer.vocabulary(), *recorded(care)])
        if self._similar is not None and care.clients:
            known_words(self._recognizer, care)  # here, not on the first question's path
            self._similar.prepare(self._recognizer)

    def ask(
        self, text: str, now: datetime | None = None, confirmed: bool = False, unsure: bool = False
    ) -> Turn:
        """The answer to ``text``. A fault while answering gets a short apology, never an
        exception: one question must not end the session. Logged without care data.
        ``unsure``: ``text`` is a likely reading of speech, not sure enough to answer: say it
        back and answer on a "ja"."""
        return self._safely(text, now, confirmed, None, unsure)

    def ask_which(
        self, first: str, second: str, language: str, now: datetime | None = None
    ) -> Turn:
        """Speech too close to tell between two readings that ask the same about two clients:
        ask which client she means ("… Vilken menar du?"); the name she says completes it."""
        both = self._between(first, second, language)
        if both is None:
            return self.ask(first, now=now, unsure=True)
        return self._safely(first, now, False, both)

    def two_clients(self, first: str, second: str, language: str) -> bool:
        """Do the template readings of two sentences ask the same about two clients?"""
        return self._between(first, second, language) is not None

    def _between(self, first: str, second: str, language: str) -> Recognition | None:
        self.refresh()
        a = self._recognizer.recognize(first, language, detect=False)
        return two_clients_asked(a, self._recognizer.recognize(second, language, detect=False))

    def verdict(self, verdict: str, now: datetime | None = None) -> Turn:
        """A verdict given without words: a long press of the button is "fel" ("bad"), in the
        language of the conversation so far."""
        said = Recognition("feedback", self._spoken_language, {"verdict": verdict})
        return self._safely("", now, False, said)

    def _safely(
        self,
        text: str,
        now: datetime | None,
        confirmed: bool,
        given: Recognition | None,
        unsure: bool = False,
    ) -> Turn:
        try:
            return self._ask(text, now, confirmed, given, unsure)
        except Exception as exc:
            log.error("a question could not be answered: %s", type(exc).__name__)
            lang = self._settings.language
            return Turn.failed(text, lang, say(lang, "error"))

    def _ask(
        self,
        text: str,
        now: datetime | None,
        confirmed: bool,
        given: Recognition | None = None,
        unsure: bool = False,
    ) -> Turn:
        started = time.perf_counter()
        self.refresh()
        now = now or datetime.now(self._settings.tz)
        loaded = time.perf_counter()
        said = text  # what the worker said; ``text`` becomes what a follow-up stands for
        leaning = Leaning(text)
        if given is None:
            rest = new_question(text)
            if rest is not None:  # "Ny fråga." alone, or "Ny fråga. Vad är koden till henne?"
                self._conversation.drop()
                text = rest or text
            if rest == "":
                given = Recognition("new_question", guess_language(text, self._settings.language))
            else:
                leaning = self._conversation.lean(text, now, self.care, self._people)
                text = leaning.text
        rec = given or leaning.reading or self._read(text)
        if rec.intent == "choose_client" and self._choosing is None:  # "Greta menar jag": the
            rec = Recognition("unknown", rec.language)  # last question, corrected (below)
        if rec.intent == "unknown" and given is None:  # "och i morgon då?", "och Bertil?"
            said_before = self._conversation.ellipsis_reading
            rec = said_before(text, now, self._recognizer, self._people) or rec
        llm_ms: dict[str, float] = {}
        ask_back = leaning.stale
        if rec.intent == "unknown":  # "vem ringer jag om Märta blir andfådd?": a rule, not a list
            rec = whom_to_call(text, rec.language) or rec
        heard = text  # the names are vetted against all of it, not just the part read
        if rec.intent == "unknown" and given is None:  # "Okej, klar hos Anna. Vem är nästa?"
            found = in_parts(text, self._read, self._recognizer.names.named_in, self._given)
            text, rec = (found[0], found[1] or rec) if found else (text, rec)
        # Read once: its words, the clients it names, what it asks for (device/nlu/question.py).
        question = read_question(text, rec.language, self._recognizer.names.named_in)
        if rec.intent == "unknown":  # "ska Anna ha nån Alvedon?": a medicine off her list
            rec = medicine_reading(question) or rec
        if rec.intent == "unknown":  # the nearest template sentences, the records (readers.py)
            focus = self._conversation.client_in_focus(now)  # "is it laundry day today?"
            care, similar = self.care, self._similar
            rec, said_back = read_unknown(
                question, rec, similar, self._recognizer, care, self._settings, llm_ms, focus
            )
            ask_back = ask_back or said_back
        offered = rec if rec.slots.get("nearest") == "unsure" else None  # the LLM goes first
        if (rec.intent == "unknown" or offered) and self._llm is not None and self.care.clients:
            day = rec.slots.get("day")
            rec, llm_timings = read_within_budget(
                self._llm, text, self.care, rec, wait=self._wait_for_llm
            )
            rec = offered if rec.intent == "unknown" and offered is not None else rec
            llm_ms.update(llm_timings)
            if day is not None and "day" not in rec.slots:  # the LLM reads no days: keep it
                rec = replace(rec, slots={**rec.slots, "day": day})
            names, threshold = self._recognizer.names, self._settings.answers.name_match_threshold
            ask_back = rec.via == "llm" and not agrees(rec, question, names, threshold)
        elif unsure and rec.via != "similar":  # a reading of speech, not sure enough to answer
            ask_back = can_restate(rec.language, rec.intent)
        note = None
        if given is None:  # every path's reading, checked against the names said
            rec, ask_back, note = vet_reading(heard, rec, ask_back, self._people, self.care, said)
            rec = left_behind(text, rec, self._recognizer.names.named_in)
            rec, old_focus = self._conversation.complete(text, rec, now, self._people)
            ask_back = (
                ask_back or old_focus or not answers_what_is_asked(rec.intent, question, rec.slots)
            )
            if ask_back and not can_restate(rec.language, rec.intent):  # say back, or not at all
                rec, ask_back = Recognition("unknown", rec.language), False
        recognized = time.perf_counter()
        spoken = rec  # what was said, before a "ja" or a name completes an earlier question
        rec, confirmed = self._follow_up(rec, now, confirmed)
        ask = Ask(
            care=self.care,
            now=now,
            tz=self._settings.tz,
            lang=rec.language,
            worker=self._settings.worker,
            confirmed=confirmed,
            confirmation=self._settings.answers.access_confirmation,
            parts=dict(self._settings.answers.parts_of_day.items()),
        )
        if rec.intent == "repeat" and self._last is not None:
            reply = self._last
        elif rec.intent == "new_question":
            reply = Reply(say(ask.lang, "new_question"), outcome="answered")
        elif leaning.ask_who and rec.intent != "unknown":  # "har hon allergier?", nobody in focus
            rec = replace(rec, slots={k: v for k, v in rec.slots.items() if k != "client"})
            reply = Reply(say(ask.lang, "who_do_you_mean"), outcome="ambiguous")
        elif rec.intent == "feedback":
            reply = self._feedback(ask.lang, rec)
        elif ask_back:  # the LLM's reading doesn't fit the question's words: ask, don't answer
            reply = Reply(say(ask.lang, "clarify", what=restate(ask, rec)), outcome="clarify")
        elif rec.intent == "deny":
            reply = Reply(say(ask.lang, "clarify_no" if self._clarifying else "unknown"))
            reply = replace(reply, outcome="unknown")
        elif note is not None and note.kind == "nobody_named":
            reply = Reply(say(ask.lang, "nobody_named", name=note.name), outcome="unknown")
        else:
            reply = self._reply(ask, rec)
            if note is not None:  # a relative or a worker named where a client's fact was asked
                reply = replace(
                    reply, text=f"{reply.text} {say(ask.lang, note.kind, name=note.name)}"
                )
            if not released(rec, reply, confirmed):  # a code is said only when released
                reply = replace(reply, text=redact(reply.text, self._code_tokens, rec.language))
        signal = self._signal(said, spoken, rec, reply, now)
        self._remember(rec, reply, now)
        self._conversation.update(rec, reply, now, self.care, self._people.mentions(said))
        self._spoken_language = rec.language
        answer = reply.text
        if not self._greeted:
            self._greeted = True
            if rec.intent != "help":  # help says it already
                answer = f"{say(rec.language, 'disclosure')} {answer}"
        done = time.perf_counter()
        return Turn(
            text=said,
            language=rec.language,
            intent=rec.intent,
            slots=plain_slots(rec, ask),
            answer=answer,
            sources=reply.sources,
            gated=reply.gated,
            must_verify=reply.must_verify,
            outcome=reply.outcome,
            path=path_of(rec),
            timings_ms={
                "load": round((loaded - started) * 1000, 3),
                "recognize": round((recognized - loaded) * 1000, 3),
                "answer": round((done - recognized) * 1000, 3),
                "total": round((done - started) * 1000, 3),
                **llm_ms,
            },
            signal=signal,
        )

    def _feedback(self, lang: str, rec: Recognition) -> Reply:
        """ "fel" or "bra" about the last answer: thanked, counted by the caller, words not kept."""
        if self._signals.last is None:
            return Reply(say(lang, "feedback_nothing"), outcome="unknown")
        key = "feedback_bad" if rec.slots.get("verdict") == "bad" else "feedback_good"
        return Reply(say(lang, key), outcome="answered")

    def _signal(
        self, text: str, spoken: Recognition, rec: Recognition, reply: Reply, now: datetime
    ) -> Signal | None:
        if spoken.intent == "feedback":
            return self._signals.feedback(str(spoken.slots.get("verdict", "")))
        answered = Answered(rec.intent, path_of(rec), reply.outcome)
        if spoken.intent != rec.intent:  # a "ja" or a name completed an earlier question
            return self._signals.asked(spoken.intent, None, answered, now)
        # Kept in memory for the repeat window only; never leaves the device.
        meaning: Hashable = (rec.intent, tuple(sorted((k, repr(v)) for k, v in rec.slots.items())))
        if rec.intent == "unknown":
            meaning = ("unknown", normalize(text))
        return self._signals.asked(rec.intent, meaning, answered, now)

    def _given(self, ref: str) -> str | None:
        client = self.care.client(ref)
        return client.given if client else None

    def _read(self, text: str) -> Recognition:
        return self._recognizer.recognize(
            text, self._settings.language, self._settings.detect_language
        )

    def _follow_up(
        self, rec: Recognition, now: datetime, confirmed: bool
    ) -> tuple[Recognition, bool]:
        """A "ja" after a gated code or an ask-back, or a name after "which one do you mean?"."""
        if rec.intent == "confirm" and self._clarifying is not None:
            asked_back = self._clarifying
            self._clarifying = None
            if now - asked_back.since <= CONFIRM_WINDOW:  # "ja": answer what was read back
                return replace(asked_back.recognition, language=rec.language), confirmed
        if rec.intent == "confirm":
            waiting = self._gated
            spoken_ok = self._settings.answers.access_confirmation == "spoken" or confirmed
            if waiting and spoken_ok and now - waiting.since <= CONFIRM_WINDOW:
                self._gated = None
                return replace(waiting.recognition, language=rec.language), True
            return rec, confirmed
        if rec.intent == "choose_client" and self._choosing is not None:
            waiting = self._choosing
            self._choosing = None
            completed = chosen(waiting.recognition, self.care, rec.clients)
            return replace(completed, language=rec.language), confirmed
        return rec, confirmed

    def warm_up(self) -> None:
        """Load the LLM in the background, so the first free question needn't wait for it."""
        if self._llm is not None:
            self._llm.start_loading()

    def understands(self, text: str) -> bool:
        """Would a template match ``text``, a follow-up included? (No session state changes.)"""
        self.refresh()
        rec = self._recognizer.recognize(
            self._as_follow_up(text), self._settings.language, self._settings.detect_language
        )
        return rec.intent != "unknown"

    def _as_follow_up(self, text: str) -> str:
        """A follow-up as the question it stands for: speech never forces it onto a grammar
        sentence about another client."""
        now = datetime.now(self._settings.tz)
        return self._conversation.lean(text, now, self.care, self._people).text

    def awaits_code(self, now: datetime | None = None) -> bool:
        """Was a door code held back for a press, which a press now confirms?"""
        return self._gated is not None and self.awaits_yes_or_no(now)  # never both waiting

    def awaits_yes_or_no(self, now: datetime | None = None) -> bool:
        """Was the last answer a question for a yes or no (a reading said back, a door code
        held back) that a "ja" can still answer?"""
        now = now or datetime.now(self._settings.tz)
        waiting = self._clarifying or self._gated
        return waiting is not None and now - waiting.since <= CONFIRM_WINDOW

    def meaning(self, text: str, language: str) -> Hashable | None:
        """What a template reads in ``text`` in ``language`` (a follow-up as the question it stands
        for): its intent and slots, or None."""
        self.refresh()
        rec = self._recognizer.recognize(self._as_follow_up(text), language, detect=False)
        if rec.intent == "unknown":
            return None
        return (rec.intent, tuple(sorted((k, repr(v)) for k, v in rec.slots.items())))

    def restatement(self, text: str, language: str) -> str | None:
        """How a template reading of ``text`` would be said back to the worker when unsure
        ("adressen till Greta Nilsson"); None when no template reads it or it isn't said back."""
        self.refresh()
        rec = self._recognizer.recognize(text, language, detect=False)
        if rec.intent == "unknown" or not can_restate(language, rec.intent):
            return None
        now = datetime.now(self._settings.tz)
        return restate(Ask(care=self.care, now=now, tz=self._settings.tz, lang=language), rec)

    def words(self, language: str) -> set[str]:
        self.refresh()  # every word the templates can say with the current names
        return self._recognizer.words(language)

    def sentences(self, language: str, intents: frozenset[str] | None = None) -> list[str]:
        self.refresh()  # every sentence the templates accept with the current names
        return self._recognizer.sentences(language, intents)

    def _reply(self, ask: Ask, rec: Recognition) -> Reply:
        if rec.intent == "stop":
            return Reply("", outcome="answered")
        nothing = {"repeat": "nothing_to_repeat", "confirm": "nothing_to_confirm"}
        if rec.intent in (*nothing, "choose_client"):  # nothing waiting for it
            return Reply(say(ask.lang, nothing.get(rec.intent, "unknown")), outcome="unknown")
        if rec.intent in NEEDS_DATA and not self.care.clients:
            return Reply(say(ask.lang, "no_data"), outcome="no_data")
        return HANDLERS.get(rec.intent, HANDLERS["unknown"])(ask, rec)

    def _remember(self, rec: Recognition, reply: Reply, now: datetime) -> None:
        if rec.intent not in ("repeat", "stop", "feedback"):
            self._last = reply
        self._gated = _Waiting(rec, now) if reply.gated else None
        self._choosing = _Waiting(rec, now) if reply.outcome == "ambiguous" else None
        self._clarifying = _Waiting(rec, now) if reply.outcome == "clarify" else None
