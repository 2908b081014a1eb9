"""The looks' pace under the account's quota (engine/pacing.py), on a clock the test moves: a passing burst of
throttles is forgotten within a minute or two, a quota that stays short keeps the looks slow until looks get
through, and nothing but throttles moves it."""

from __future__ import annotations

import random

from octoprint_failwatch.engine.pacing import HALF_LIFE, MAX_PACE, MEMORY, LookPace

INTERVAL = 10.0


def test_a_passing_burst_of_throttles_is_back_to_the_normal_pace_by_time_alone():
    pace = LookPace(random.Random(1))
    for second in range(4):  # four looks refused in a row, as in a burst of faults
        pace.throttled(1000.0 + second)
    assert pace.pace(1003.0) == MAX_PACE
    # no look gets through meanwhile (the burst's other faults are 5xx and timeouts): time alone brings it back
    assert pace.pace(1003.0 + 2.4 * HALF_LIFE) <= 1.6
    assert pace.next_gap(INTERVAL, 1003.0 + 12 * HALF_LIFE) == INTERVAL


def test_a_quota_short_for_long_keeps_the_looks_slow_until_looks_get_through():
    pace = LookPace(random.Random(1))
    pace.throttled(1000.0)
    pace.got_through(1010.0)
    pace.throttled(1100.0)  # a second run of throttles within MEMORY: the account stays full
    slowed = pace.pace(1100.0)
    assert slowed > 2 and pace.pace(1100.0 + 4 * HALF_LIFE) == slowed  # time alone does not bring it back
    for look in range(5):  # looks that get through do, a step each
        pace.got_through(1200.0 + 25 * look)
    assert abs(pace.pace(1300.0) - (slowed - 5 * 0.1)) < 1e-9
    # once the older run is MEMORY behind, time helps again
    assert pace.pace(1000.0 + MEMORY + 8 * HALF_LIFE) < 1.01


def test_gaps_are_drawn_at_random_between_one_interval_and_the_pace():
    pace = LookPace(random.Random(7))
    pace.throttled(1000.0)
    pace.throttled(1001.0)
    gaps = [pace.next_gap(INTERVAL, 1001.0) for _ in range(200)]
    assert INTERVAL <= min(gaps) and max(gaps) <= 4 * INTERVAL and len({round(g, 3) for g in gaps}) > 100
