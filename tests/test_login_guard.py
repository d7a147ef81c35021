"""The login throttle's rule with plain values and a hand-moved clock."""

from __future__ import annotations

from dashboard.guard import GuardRule, LoginGuard


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_failures_lock_the_client_for_the_lockout() -> None:
    clock = Clock()
    guard = LoginGuard(GuardRule(5, window_s=300, lockout_s=900), clock=clock)
    for _ in range(4):
        guard.failed("10.0.0.1", "chef")
        assert guard.retry_after("10.0.0.1", "chef") == 0
    guard.failed("10.0.0.1", "chef")
    assert guard.retry_after("10.0.0.1", "chef") == 900
    assert guard.retry_after("10.0.0.1", "annan") == 900  # the client is locked, any name
    assert guard.retry_after("10.0.0.2", "chef") == 0  # another client isn't
    clock.now += 899.5
    assert guard.retry_after("10.0.0.1", "chef") == 1
    clock.now += 1
    assert guard.retry_after("10.0.0.1", "chef") == 0


def test_slow_failures_outside_the_window_do_not_add_up() -> None:
    clock = Clock()
    guard = LoginGuard(GuardRule(5, window_s=300, lockout_s=900), clock=clock)
    for _ in range(10):
        guard.failed("10.0.0.1", "chef")
        clock.now += 76  # never 5 inside any 300 s
    assert guard.retry_after("10.0.0.1", "chef") == 0


def test_a_success_clears_the_count() -> None:
    clock = Clock()
    guard = LoginGuard(GuardRule(3), clock=clock)
    guard.failed("c", "u")
    guard.failed("c", "u")
    guard.succeeded("c", "u")
    guard.failed("c", "u")
    guard.failed("c", "u")
    assert guard.retry_after("c", "u") == 0


def test_one_account_attacked_from_many_clients_is_locked() -> None:
    clock = Clock()
    guard = LoginGuard(GuardRule(5), GuardRule(20, lockout_s=600), clock=clock)
    for n in range(20):
        guard.failed(f"10.0.{n}.1", "Chef")
    assert guard.retry_after("10.9.9.9", "chef") == 600
