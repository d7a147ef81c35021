"""Login throttling: after repeated wrong passwords from one client (or against one account),
refuse further tries for a while, without even checking the password.

Pure and clock-injected so the rule is tested with plain values. Kept in memory: a restart
forgets the failures, which is acceptable for a page that also needs a network path to reach.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class GuardRule:
    max_failures: int = 5  # this many failures inside window_s lock the key
    window_s: float = 300.0
    lockout_s: float = 900.0


class LoginGuard:
    """Counts failures per key ("client:<address>", "user:<name>"); a locked key is refused."""

    def __init__(
        self,
        client_rule: GuardRule = GuardRule(),
        user_rule: GuardRule = GuardRule(max_failures=20),
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self._rules = {"client": client_rule, "user": user_rule}
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str, user: str) -> int:
        """Seconds until a try from ``client`` for ``user`` is allowed; 0 when it is now."""
        now = self._clock()
        with self._lock:
            waits = [
                until - now
                for key in self._keys(client, user)
                if (until := self._locked_until.get(key, 0.0)) > now
            ]
        return int(max(waits) + 0.999) if waits else 0

    def failed(self, client: str, user: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) >= self._max_keys:  # a flood of addresses: forget the oldest
                self._failures.pop(next(iter(self._failures)))
                self._locked_until = {k: t for k, t in self._locked_until.items() if t > now}
            for key in self._keys(client, user):
                rule = self._rules[key.split(":", 1)[0]]
                times = self._failures.setdefault(key, deque())
                times.append(now)
                while times and times[0] <= now - rule.window_s:
                    times.popleft()
                if len(times) >= rule.max_failures:
                    self._locked_until[key] = now + rule.lockout_s
                    times.clear()

    def succeeded(self, client: str, user: str) -> None:
        with self._lock:
            for key in self._keys(client, user):
                self._failures.pop(key, None)

    @staticmethod
    def _keys(client: str, user: str) -> tuple[str, str]:
        return f"client:{client}", f"user:{user.casefold()[:64]}"
