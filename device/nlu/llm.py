"""The local LLM fallback through llama-cpp-python (the only module that imports llama_cpp).

Loaded once, on the first question the templates don't match, from the GGUF path in the models
directory; never downloaded. The system prompt and examples come first and stay the same, so
llama.cpp reuses their evaluated state and each turn evaluates only the question's tokens.
Output is constrained by a grammar made from the JSON schema (temperature 0, few tokens); a
hard deadline stops generation and gives the unknown answer.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from device.care.model import CareData
from device.nlu.llm_intent import EXAMPLES, SYSTEM_PROMPT, schema, to_recognition
from device.nlu.names import NameIndex
from device.nlu.recognizer import UNKNOWN, Recognition

log = logging.getLogger("hemassist.llm")


@dataclass
class LlmTurn:
    recognition: Recognition
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ms: float = 0.0
    timed_out: bool = False


def _quiet_llama() -> None:
    """Keep llama.cpp off the terminal without taking it from anyone else.

    llama-cpp-python (verbose=False) silences the model load by pointing the process's file
    descriptors 1 and 2 at /dev/null. Loading in the background, that swallowed whatever the
    other threads printed meanwhile: the answers of `ask --jsonl` and the live loop. So that
    redirect is turned off, and llama.cpp's own log lines (model details, which its default
    callback lets through as errors since the log levels were renumbered) are dropped here.
    A model that can't load still raises, and that is logged by the caller.
    """
    import contextlib
    import ctypes

    import llama_cpp
    import llama_cpp._internals as internals
    import llama_cpp.llama as llama_module

    class _NoRedirect(contextlib.nullcontext[None]):
        def __init__(self, disable: bool = True) -> None:
            super().__init__()

    for module in (internals, llama_module):
        setattr(module, "suppress_stdout_stderr", _NoRedirect)  # noqa: B010
    global _DROP_LOG
    if _DROP_LOG is None:
        _DROP_LOG = llama_cpp.llama_log_callback(lambda level, text, user_data: None)
        llama_cpp.llama_log_set(_DROP_LOG, ctypes.c_void_p(0))


_DROP_LOG: Any = None  # the C callback must stay referenced as long as llama.cpp may call it


def chatml(messages: list[dict[str, str]]) -> str:
    """The ChatML prompt both manifest models (Qwen2.5, SmolLM2) were trained with."""
    turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


class LlmFallback:
    def __init__(
        self,
        model_path: Path,
        threads: int = 2,
        context: int = 1024,
        max_tokens: int = 40,
        timeout_s: float = 3.0,
    ) -> None:
        self.model_path = model_path
        self._threads, self._context = threads, context
        self.max_tokens, self.timeout_s = max_tokens, timeout_s
        self._llm: Any = None
        self._grammar: Any = None
        self._grammar_for: CareData | None = None
        self._names = NameIndex({})
        self._lock = threading.Lock()
        self._loader: threading.Thread | None = None
        self._loaded = threading.Event()  # set when loading finished, well or not
        self.load_ms: float | None = None

    def start_loading(self) -> None:
        """Load in the background (once), so that no question waits for the whole load."""
        with self._lock:
            if self._loader is not None or self._llm is not None:
                return
            self._loader = threading.Thread(target=self._load_logged, name="llm-load", daemon=True)
            self._loader.start()

    def _load_logged(self) -> None:
        try:
            self.load()
        except Exception as exc:  # a broken model file: questions get "unknown", not a crash
            log.warning("the LLM could not be loaded: %s", type(exc).__name__)
        finally:
            self._loaded.set()

    def wait_loaded(self, timeout_s: float | None) -> bool:
        """Start loading if needed; True once the model is ready (within ``timeout_s``)."""
        if self._llm is not None:
            return True
        self.start_loading()
        self._loaded.wait(timeout_s)
        return self._llm is not None

    def load(self) -> None:
        """Load the model and evaluate the fixed prefix (system prompt and examples) once, so
        that a question's deadline covers only its own tokens. Safe to call again."""
        from llama_cpp import Llama

        _quiet_llama()
        with self._lock:
            if self._llm is not None:
                return
            started = time.perf_counter()
            llm = Llama(
                model_path=str(self.model_path),
                n_ctx=self._context,
                n_threads=self._threads,
                n_batch=256,
                seed=0,
                verbose=False,
            )
            llm.create_completion(prompt=chatml(self.messages("")), max_tokens=1, temperature=0)
            self._llm = llm
            self.load_ms = round((time.perf_counter() - started) * 1000, 1)
            # Free the model before the interpreter tears down its modules: llama.cpp's
            # destructor crashes the process when it runs that late.
            atexit.register(self.close)
            log.info("LLM ready in %.1f s", self.load_ms / 1000)

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None
                self._grammar_for = None

    def _prepare(self, care: CareData) -> None:
        from llama_cpp.llama_grammar import LlamaGrammar

        if self._grammar_for is care:
            return
        self._grammar = LlamaGrammar.from_json_schema(json.dumps(schema(care)), verbose=False)
        self._names = NameIndex.of_clients(care)
        self._grammar_for = care

    @staticmethod
    def messages(question: str) -> list[dict[str, str]]:
        """System prompt and examples (the reusable prefix), then the question. No care data."""
        chat = [{"role": "system", "content": SYSTEM_PROMPT}]
        for example, answer in EXAMPLES:
            chat += [
                {"role": "user", "content": example},
                {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)},
            ]
        return [*chat, {"role": "user", "content": question}]

    def understand(
        self, question: str, care: CareData, language: str, budget_s: float | None = None
    ) -> LlmTurn:
        """The model's reading of ``question``; it has ``budget_s`` (default ``timeout_s``)
        from the moment the model is ready."""
        started = time.perf_counter()
        self.load()
        self._prepare(care)
        deadline = time.monotonic() + (self.timeout_s if budget_s is None else budget_s)
        timed_out = False

        def stop(_tokens: Any, _logits: Any) -> bool:
            nonlocal timed_out
            timed_out = time.monotonic() > deadline
            return timed_out

        from llama_cpp import StoppingCriteriaList

        result = self._llm.create_completion(
            prompt=chatml(self.messages(question[:300])),
            grammar=self._grammar,
            temperature=0.0,
            max_tokens=self.max_tokens,
            stop=["<|im_end|>"],
            stopping_criteria=StoppingCriteriaList([stop]),
        )
        usage = result.get("usage", {})
        output = result["choices"][0].get("text") or ""
        recognition = (
            Recognition(UNKNOWN, language, via="llm")
            if timed_out
            else to_recognition(output, care, self._names, language)
        )
        return LlmTurn(
            recognition,
            int(usage.get("prompt_tokens", 0)),
            int(usage.get("completion_tokens", 0)),
            round((time.perf_counter() - started) * 1000, 1),
            timed_out,
        )


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def read_within_budget(
    llm: LlmFallback, text: str, care: CareData, rec: Recognition, wait: bool
) -> tuple[Recognition, dict[str, float]]:
    """The LLM's reading of a question no template matched; ``rec`` on any failure.

    Unless ``wait``, the question waits for a model still loading at most ``timeout_s``
    (and then keeps ``rec``); generation gets what is left of that budget. The budget is the
    model's own timeout (``llm_for`` sets it from the settings), so a test or a benchmark
    that gives its model more time measures understanding, not how busy the machine is.
    """
    started = time.perf_counter()
    budget = llm.timeout_s
    timings: dict[str, float] = {}
    try:
        if not llm.wait_loaded(None if wait else budget):
            timings["llm_wait"] = _ms_since(started)
            return rec, timings
        waited = time.perf_counter() - started
        if waited > 0.001:
            timings["llm_wait"] = round(waited * 1000, 1)
            if llm.load_ms is not None:
                timings["llm_load"] = llm.load_ms
        remaining = budget if wait else max(budget - waited, 0.05)
        asked = time.perf_counter()
        turn = llm.understand(text, care, rec.language, remaining)
        timings["llm"] = _ms_since(asked)
        return turn.recognition, timings
    except Exception as exc:  # a broken model must not break answering
        log.warning("LLM fallback failed: %s", type(exc).__name__)
        timings["llm"] = _ms_since(started)
        return rec, timings
