"""The looks' pace under the account's quota (engine/pacing.py), on a clock the test moves: a passing burst of
throttles is forgotten within a minute or two, a quota that stays short — or was full when the watch began —
keeps the looks slow until looks get through."""

from __future__ import annotations

import random

from octoprint_failwatch.engine.pacing import HALF_LIFE, MAX_PACE, MEMORY, QUOTA_WINDOW, LookPace

INTERVAL = 10.0


def watching_with_room(seconds: float = QUOTA_WINDOW, until: float = 990.0, pace: LookPace = None) -> LookPace:
    """A pace whose looks got through at the normal pace, 10 s apart, for `seconds` up to `until`."""
    pace = pace or LookPace(random.Random(1))
    for look in range(int(seconds // INTERVAL) + 1):
        pace.got_through(until - seconds + INTERVAL * look)
    return pace


def test_a_passing_burst_of_throttles_is_back_to_the_normal_pace_by_time_alone():
    pace = watching_with_room()
    for second in range(4):  # four looks refused in a row, as in a burst of faults
        pace.throttled(1000.0 + second)
    assert pace.pace(1003.0) == MAX_PACE
    # no look gets through meanwhile (the burst's other faults are 5xx and timeouts): time alone brings it back
    assert pace.pace(1003.0 + 2.4 * HALF_LIFE) <= 1.6
    assert pace.next_gap(INTERVAL, 1003.0 + 12 * HALF_LIFE) == INTERVAL


def test_throttles_before_the_quota_carried_the_watch_for_a_minute_are_left_to_the_looks_that_get_through():
    """A printer joining an account that is full (a farm started over its quota: a fresh minute has room for
    the first looks, then the quota refuses) — coming back by time would only bring it back into the full
    account. The same after the looks stopped for a while (between prints, a hold)."""
    resumed = watching_with_room()
    resumed.looks_resume()
    for pace in (LookPace(random.Random(1)), watching_with_room(QUOTA_WINDOW - 2 * INTERVAL), resumed):
        for second in range(3):
            pace.throttled(1000.0 + second)
        slowed = pace.pace(1002.0)
        assert slowed == MAX_PACE and pace.pace(1002.0 + 10 * HALF_LIFE) == slowed
        pace.got_through(1300.0)
        assert abs(pace.pace(1300.0) - (slowed - 0.1)) < 1e-9


def test_a_quota_short_for_long_keeps_the_looks_slow_until_looks_get_through():
    pace = watching_with_room()
    pace.throttled(1000.0)
    back = 1000.0 + 12 * HALF_LIFE  # time brought it back: then a minute at the normal pace, and a second run
    watching_with_room(until=back + QUOTA_WINDOW, pace=pace)
    pace.throttled(back + QUOTA_WINDOW + 5)
    second_run = back + QUOTA_WINDOW + 5
    slowed = pace.pace(second_run)
    assert slowed == 2 and pace.pace(second_run + 4 * HALF_LIFE) == slowed  # time alone does not bring it back
    for look in range(5):  # looks that get through do, a step each
        pace.got_through(second_run + 100 + 25 * look)
    assert abs(pace.pace(second_run + 200) - (slowed - 5 * 0.1)) < 1e-9
    # once the older run is MEMORY behind, time helps again
    assert pace.pace(1000.0 + MEMORY + 8 * HALF_LIFE) < 1.01


def test_gaps_are_drawn_at_random_between_one_interval_and_the_pace():
    pace = LookPace(random.Random(7))
    pace.throttled(1000.0)
    pace.throttled(1001.0)
    gaps = [pace.next_gap(INTERVAL, 1001.0) for _ in range(200)]
    assert INTERVAL <= min(gaps) and max(gaps) <= 4 * INTERVAL and len({round(g, 3) for g in gaps}) > 100
