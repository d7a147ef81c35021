"""One spoken turn: utterance → transcript → answer → spoken answer, with the time of each stage.

Also endpointing of a live microphone stream (``capture``), using the pure Endpointer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from device.answers.handlers import NEEDS_DATA
from device.assistant import Assistant
from device.nlu.days import find_day
from device.nlu.text import normalize
from device.settings import SpeechSettings
from device.speech.audio import AudioChunk, join
from device.speech.closed import AskBack, Domain, Verdict, check_heard, decide, names_heard
from device.speech.endpoint import EndpointConfig, Endpointer, Phase
from device.speech.grammar import Found, TokenTrie
from device.speech.stt import SpeechToText, Transcript, care_names
from device.speech.tts import Voices
from device.speech.vad import Vad
from device.turn import Turn

# What a worker may say to "… Säg ja eller nej.", and the decision's name when the audio was
# heard as one of them.
ANSWERS = frozenset({"confirm", "deny"})
YES_OR_NO = "heard as a yes or no"
# A "ja" or "nej" is scored by ``align`` among the answers alone (a few tokens, fast): within 1.0
# of the free transcript, 2.0 ahead of the other answer, resembling it 50. These are the
# thresholds tuned for align scores; the sentences of a question are scored another way.
_YES_OR_NO = (1.0, 2.0, 50.0)


@dataclass(frozen=True)
class VoiceTurn:
    transcript: Transcript
    turn: Turn
    speech: list[AudioChunk] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        data = self.turn.as_dict()
        data["transcript"] = self.transcript.text
        data["engine"] = self.transcript.engine
        if self.transcript.decision is not None:
            data["free_transcript"] = self.transcript.free_text
            data["within_transcript"] = self.transcript.within_text
            data["candidate"] = self.transcript.candidate
            data["stt_decision"] = self.transcript.decision
            data["stt_scores"] = self.transcript.scores
            data["asked_back"] = self.transcript.unsure
            data["other_candidate"] = self.transcript.other
        data["timings_ms"] = {
            **self.transcript.timings_ms,
            **self.turn.timings_ms,
            **self.timings_ms,
        }
        return data


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


class VoicePipeline:
    def __init__(
        self,
        assistant: Assistant,
        stt: SpeechToText,
        voices: Voices,
        second_pass: bool = True,
        closed: SpeechSettings | None = None,
    ) -> None:
        """``closed``: the settings of closed-domain recognition, for engines that can score
        sentences (Whisper); None or ``closed_domain`` off keeps the free transcript."""
        self.assistant = assistant
        self.stt = stt
        self.voices = voices
        self.second_pass = second_pass
        self.closed = closed if closed is not None and closed.closed_domain else None
        self._primed_for: object = None
        self._domains: dict[str, Domain] = {}
        self._tries: dict[str, TokenTrie] = {}
        self._names: set[str] = set()

    def prime(self) -> None:
        """Give the engine the templates' words and the store's names (again after an import)."""
        self.assistant.refresh()
        if self._primed_for is self.assistant.care:
            return
        care = self.assistant.care
        names = care_names(care)
        self.stt.prime(sorted(self.assistant.words("sv")), names)
        self._primed_for = care
        self._domains = {}
        self._tries = {}
        self._names = {word for name in names for word in name.split()}
        for warm_up in ("vem är mitt nästa besök", "who is my next visit"):
            self.assistant.understands(warm_up)  # hassil builds its indexes on first use

    def domain(self, language: str) -> Domain:
        """The template sentences of this care-data snapshot, built on first use."""
        if language not in self._domains:
            self._domains[language] = Domain.of(self.assistant.sentences(language))
        return self._domains[language]

    def trie(self, language: str) -> TokenTrie:
        """The care grammar of this snapshot as the engine's tokens, built on first use."""
        if language not in self._tries:
            sentences = self.domain(language).sentences
            self._tries[language] = self.stt.compile(  # type: ignore[attr-defined]
                [(text, self._sentence(text)) for text in sentences], language
            )
        return self._tries[language]

    def build_domains(self) -> None:
        """Build the closed domain before the first question (a few seconds for Swedish), when
        the engine uses it; after a new import it is built again on first use."""
        if self.closed is not None and hasattr(self.stt, "hear"):
            for language in getattr(self.stt, "languages", ()) or ("sv", "en"):
                self.domain(language)
                if self.closed.closed_search != "shortlist" and hasattr(self.stt, "compile"):
                    self.trie(language)
            if self.closed.closed_score == "window" and hasattr(self.stt, "decoder"):
                self.stt.decoder()  # its 210 MB read now, not on the first question that needs it

    def hear(self, audio: AudioChunk, now: datetime | None = None) -> Transcript:
        self.prime()
        listen = getattr(self.stt, "hear", None)
        if self.closed is not None and listen is not None:
            # After "… Säg ja eller nej." the names in Whisper's prompt turned "Ja" into "Jörg."
            answering = self.assistant.awaits_yes_or_no(now)
            return self._hear_closed(listen(audio, names=not answering), self.closed, answering)
        heard = self.stt.transcribe(audio)
        if (
            self.second_pass
            and not heard.open_vocabulary
            and not self.assistant.understands(heard.text)
        ):
            heard = self.stt.transcribe(audio, open_vocabulary=True)
        return heard

    def _hear_closed(
        self, heard: Any, closed: SpeechSettings, answering: bool = False
    ) -> Transcript:
        """The free transcript when a template reads it (unless it only repeats an example of
        the prompt); else the template sentence that fits the audio clearly best (closed.py
        decides), or the free transcript for the LLM and the record search when none does."""
        engine, free = self.stt.name, heard.text
        timings: dict[str, float] = heard.timings_ms
        within: list[str] = []  # written with the templates' words only

        def meaning(text: str) -> Hashable | None:
            return self.assistant.meaning(text, heard.language)

        def result(
            text: str, candidate: str | None, decision: str, scores: Verdict | None = None
        ) -> Transcript:
            figures = (
                {}
                if scores is None
                else {
                    "best": scores.score,
                    "free": scores.free_score,
                    "other_meaning": scores.runner_up,
                    "resemblance": scores.resemblance,
                }
            )
            unsure = scores is not None and scores.ask
            other = scores.other if scores is not None else None
            return Transcript(
                text,
                engine,
                False,
                free,
                candidate,
                decision,
                timings,
                figures,
                unsure,
                other,
                heard.language,
                within[0] if within else None,
            )

        if not free.strip():
            return result(free, None, "nothing heard")
        normalized = normalize(free)
        reading = meaning(free)
        understood = reading is not None and not getattr(heard, "echoed", False)
        # A short question about the care data is checked against the audio too; a "ja", a
        # name after "Vilken menar du?", "stopp" or "upprepa" is taken as heard.
        asks_data = isinstance(reading, tuple) and reading[0] in NEEDS_DATA
        if understood and (len(normalized.split()) >= closed.closed_short or not asks_data):
            return result(free, None, "free transcript understood")
        if answering and not understood:
            answer = self._yes_or_no(heard, normalized, meaning, closed)
            if answer is not None:
                return result(answer.candidate or free, answer.candidate, answer.reason, answer)
        if not understood and find_day(normalized)[1] is not None:
            # The care grammar's sentences name no day: a sentence chosen from it would answer
            # another day's question with today's schedule. The free transcript goes on to the
            # record search and the LLM, which keep the day, or to an honest "I don't know".
            return result(free, None, "names another day: free transcript kept")
        domain = self.domain(heard.language)
        searched = closed.closed_search
        if closed.closed_within and searched != "grammar" and hasattr(heard, "within"):
            within = heard.within(domain.vocabulary)
        started = time.perf_counter()
        # Each text once (beams often differ in capitals or commas only), and half as many from
        # each constrained transcript as from the free one: they are alike, and every sentence
        # scored costs time.
        written = list(dict.fromkeys([normalized, *(normalize(t) for t in within)]))
        half = max(1, closed.closed_candidates // 2)
        limits = [closed.closed_candidates, *(half for _ in written[1:])]
        shortlist = [] if searched == "grammar" else domain.shortlists(written, limits, meaning)
        timings["stt_shortlist"] = _ms(started)
        # Scored on the whole window, the end of text included, Whisper's prior taken out (cut
        # to the utterance, as ``align`` scores, the decoder lost its way on robotic Swedish).
        window = (closed.closed_score == "window" or searched == "grammar") and hasattr(
            heard, "calibrated"
        )
        alpha = closed.closed_prior if window else 0.0
        found: list[Found] = []
        if searched != "shortlist" and hasattr(heard, "grammar"):
            found = heard.grammar(
                self.trie(heard.language), closed.closed_beam, closed.closed_found, alpha
            )
        # A transcript a template reads is checked against the audio, an echo of the prompt's
        # examples with a wider margin: Whisper may write an example when it hears little.
        readable = reading is not None
        if window:
            own = {f.text: f.mean for f in found if f.text != normalized}
            rest = [t for t in shortlist if t not in own and t != normalized]
            fresh = heard.calibrated([free, *(self._sentence(t) for t in rest)], alpha)
            scored = [*own.items(), *zip(rest, fresh[1:], strict=True)]
            if readable:  # a transcript a template reads is checked against the others
                scored = [(normalized, fresh[0]), *scored]
            scores = [fresh[0], *(score for _, score in scored)]
        else:
            shortlist = list(dict.fromkeys([*shortlist, *(f.text for f in found)]))
            if readable:
                shortlist = list(dict.fromkeys([normalized, *shortlist]))
            scores = heard.score([free, *(self._sentence(text) for text in shortlist)])
            scored = list(zip(shortlist, scores[1:], strict=True))
        if readable:
            ask = self._ask_back(heard.language, closed)
            says = ask.restate if ask is not None else None
            margin = closed.closed_heard_margin if understood else closed.closed_echo_margin
            checked = check_heard(normalized, scored, meaning, margin, says)
            if checked.ask:
                return result(checked.candidate or free, checked.candidate, checked.reason, checked)
            if checked.candidate is None:  # not heard well enough to answer, nor to say back
                return result("", None, checked.reason, checked)
            return result(free, None, checked.reason, checked)
        verdict = decide(
            normalized,
            scores[0],
            scored,
            meaning,
            closed.closed_free_slack,
            closed.closed_margin,
            closed.closed_resemblance,
            self._ask_back(heard.language, closed),
            closed.closed_handoff if searched == "grammar" else None,
            lambda text: names_heard(text, self._names, [free, *within], closed.closed_name_heard),
            closed.closed_pool,
        )
        if verdict.candidate is None and getattr(heard, "echoed", False):
            # Whisper wrote its prompt, not what was said: nothing reliable was heard. (Said
            # back, it is fine: the worker may have asked just that, and says no if not.)
            return result("", None, f"repeated the prompt; {verdict.reason}", verdict)
        if verdict.candidate is None:
            return result(free, None, verdict.reason, verdict)
        return result(verdict.candidate, verdict.candidate, verdict.reason, verdict)

    def _yes_or_no(
        self,
        heard: Any,
        normalized: str,
        meaning: Callable[[str], Hashable | None],
        closed: SpeechSettings,
    ) -> Verdict | None:
        """After "… Säg ja eller nej.": the audio against the answers alone. Whisper wrote "Ja"
        as "Jag...", which was too close to some question of the whole grammar to choose; among
        the answers "ja" stood 2 nats ahead of "nej" (2026-12-05). A new question instead fits
        none of them as well as its free transcript, and goes on the usual way."""

        def answer(text: str) -> Hashable | None:
            reading = meaning(text)
            intent = reading[0] if isinstance(reading, tuple) else None
            return intent if intent in ANSWERS else None

        answers = self.assistant.sentences(heard.language, ANSWERS)
        if not answers:
            return None
        scores = heard.score([heard.text, *(self._sentence(s) for s in answers)])
        verdict = decide(
            normalized,
            scores[0],
            list(zip(answers, scores[1:], strict=True)),
            answer,
            *_YES_OR_NO,
        )
        if verdict.candidate is None:
            return None
        return replace(verdict, reason=f"{YES_OR_NO}: {verdict.reason}")

    def _ask_back(self, language: str, closed: SpeechSettings) -> AskBack | None:
        if not closed.closed_ask_back:
            return None

        def restate(text: str) -> str | None:
            return self.assistant.restatement(text, language)

        def between(first: str, second: str) -> bool:
            return self.assistant.two_clients(first, second, language)

        return AskBack(
            closed.closed_ask_slack,
            closed.closed_ask_margin,
            restate,
            closed.closed_short,
            lambda text: any(word in self._names for word in text.split()),
            closed.closed_short_named,
            between,
        )

    def _sentence(self, text: str) -> str:
        """A template sentence written as Whisper writes: capitals for names and the first
        word, a question mark (scored lower-case, every sentence would lose to the free text)."""
        words = [w.capitalize() if w in self._names else w for w in text.split()]
        if words:
            words[0] = words[0][:1].upper() + words[0][1:]
        return " ".join(words) + "?"

    def turn(
        self,
        audio: AudioChunk,
        now: datetime | None = None,
        confirmed: bool = False,
        play: Callable[[Iterable[AudioChunk]], object] | None = None,
    ) -> VoiceTurn:
        """Answer the utterance ``audio``; ``play`` gets the speech as it is made."""
        started = time.perf_counter()
        transcript = self.hear(audio, now)
        stt_ms = _ms(started)
        if transcript.unsure and transcript.other is not None:  # which of two clients?
            language = transcript.language or "sv"
            turn = self.assistant.ask_which(transcript.text, transcript.other, language, now)
        else:
            turn = self.assistant.ask(
                transcript.text, now=now, confirmed=confirmed, unsure=transcript.unsure
            )
        timings = {"stt": stt_ms}
        spoken: list[AudioChunk] = []

        def speech() -> Iterator[AudioChunk]:
            if not turn.answer:
                return
            tts_started = time.perf_counter()
            for chunk in self.voices.for_language(turn.language).speak(turn.answer):
                if not spoken:
                    timings["tts_first_audio"] = _ms(tts_started)
                    timings["first_audio"] = _ms(started)
                spoken.append(chunk)
                yield chunk
            timings["tts"] = _ms(tts_started)

        if play is not None:
            play(speech())
        else:
            for _ in speech():
                pass
        timings["voice_total"] = _ms(started)
        return VoiceTurn(transcript, turn, spoken, timings)


def capture(
    chunks: Iterable[AudioChunk], vad: Vad, config: EndpointConfig
) -> tuple[AudioChunk, Phase]:
    """Read the microphone until the utterance ends; returns the speech and how it ended."""
    endpointer = Endpointer(config)
    frame_bytes = 16_000 * config.frame_ms // 1000 * 2
    kept: list[AudioChunk] = []
    pending = b""
    for chunk in chunks:
        pcm = chunk.to_stt().audio
        pending += pcm
        while len(pending) >= frame_bytes:
            frame, pending = pending[:frame_bytes], pending[frame_bytes:]
            kept.append(AudioChunk(frame, 16_000))
            endpointer.feed(vad.voiced(frame))
            if endpointer.finished:
                break
        if endpointer.finished:
            break
    if endpointer.start_ms is None:
        return AudioChunk(b"", 16_000), endpointer.phase
    first = max(0, endpointer.start_ms // config.frame_ms - 10)  # 300 ms of lead-in
    last = (endpointer.end_ms or endpointer.elapsed_ms) // config.frame_ms + 10
    return join(kept[first:last]), endpointer.phase
