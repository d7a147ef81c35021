"""Login throttling: after repeated wrong passwords from one client (or against one account),
refuse further tries for a while, without even checking the password.

The rule is pure and clock-injected, tested with plain values. Its state lives in a
``GuardState``: in memory for a single process (tests), or in the dashboard's database
(``dashboard.storage.Storage.guard_state``) so that every dashboard process shares one count and
two workers can't each allow the full number of tries.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class GuardRule:
    max_failures: int = 5  # this many failures inside window_s lock the key
    window_s: float = 300.0
    lockout_s: float = 900.0


class GuardState(Protocol):
    def add_failure(self, key: str, at: float, window_s: float) -> int:
        """Record a failure; the failures of ``key`` within ``window_s`` before ``at``."""

    def lock(self, key: str, until: float) -> None: ...

    def clear(self, key: str) -> None:
        """Forget the key's failures (not its lock)."""

    def locked_until(self, keys: tuple[str, ...], now: float) -> float:
        """The latest lock of any of ``keys`` that lasts past ``now``, else 0."""


class MemoryState:
    """The guard's state in this process, bounded to ``max_keys`` keys."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def add_failure(self, key: str, at: float, window_s: float) -> int:
        with self._lock:
            if key not in self._failures and len(self._failures) >= self._max_keys:
                self._failures.pop(next(iter(self._failures)))  # a flood: forget the oldest
                self._locked_until = {k: t for k, t in self._locked_until.items() if t > at}
            times = self._failures.setdefault(key, deque())
            times.append(at)
            while times and times[0] <= at - window_s:
                times.popleft()
            return len(times)

    def lock(self, key: str, until: float) -> None:
        with self._lock:
            self._locked_until[key] = until

    def clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def locked_until(self, keys: tuple[str, ...], now: float) -> float:
        with self._lock:
            return max((t for k in keys if (t := self._locked_until.get(k, 0.0)) > now), default=0)


class LoginGuard:
    """Counts failures per key ("client:<address>", "user:<name>"); a locked key is refused."""

    def __init__(
        self,
        client_rule: GuardRule = GuardRule(),
        user_rule: GuardRule = GuardRule(max_failures=20),
        clock: Callable[[], float] = time.time,  # wall clock: shared by processes
        state: GuardState | None = None,
    ) -> None:
        self._rules = {"client": client_rule, "user": user_rule}
        self._clock = clock
        self._state: GuardState = state if state is not None else MemoryState()

    def retry_after(self, client: str, user: str) -> int:
        """Seconds until a try from ``client`` for ``user`` is allowed; 0 when it is now."""
        now = self._clock()
        until = self._state.locked_until(self._keys(client, user), now)
        return int(until - now + 0.999) if until > now else 0

    def failed(self, client: str, user: str) -> None:
        now = self._clock()
        for key in self._keys(client, user):
            rule = self._rules[key.split(":", 1)[0]]
            if self._state.add_failure(key, now, rule.window_s) >= rule.max_failures:
                self._state.lock(key, now + rule.lockout_s)
                self._state.clear(key)

    def succeeded(self, client: str, user: str) -> None:
        for key in self._keys(client, user):
            self._state.clear(key)

    @staticmethod
    def _keys(client: str, user: str) -> tuple[str, str]:
        return f"client:{client[:64]}", f"user:{user.casefold()[:64]}"
