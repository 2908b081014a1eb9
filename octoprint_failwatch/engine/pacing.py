"""How often the routine looks go out while the account's quota is spent.

A look refused by the quota (throttled) doubles how far apart the next looks may be, up to `MAX_PACE`
intervals, drawn at random so that the printers of a farm sharing the account do not come back in step.
The pace comes back by itself: each look that gets through takes `RECOVERY_PER_LOOK` off, and time does the
rest (the slowdown halves every `HALF_LIFE` seconds) after a run of throttles that broke into a watch the
quota had room for — looks got through at the normal pace for a whole `QUOTA_WINDOW` before it (Bedrock counts
its quotas per minute, and a fresh minute has room for anything) — so a passing burst does not keep the watch
slow long after. Time does not bring the pace back where nothing says the quota has
room: throttles from the start of a watch (a printer joining an account that is full), or a second run of
throttles within `MEMORY` (a quota short for long). There only looks that get through bring it back, since
coming back by time would keep the account full — measured with bench/farm.py at half the quota: four times
the throttles with time alone, a third more with time after every first run, most of them in the minutes after
the farm starts, and the calls that decide a failure waiting behind them. Only throttles move the pace: a 5xx
or a timeout says nothing about the quota.
"""

from __future__ import annotations

import math
import random
from typing import Optional

MAX_PACE = 4.0  # looks at most this many intervals apart, on average half of it
RECOVERY_PER_LOOK = 0.1  # each look that gets through brings the pace back by this much
HALF_LIFE = 20.0  # seconds: after a run of throttles that broke into room, the slowdown halves this often
QUOTA_WINDOW = 60.0  # seconds the account's quota counts over: looks through at the normal pace this long fit it
MEMORY = 900.0  # seconds: two runs of throttles this close say the quota is short for long
NORMAL_PACE_BELOW = 1.001  # a pace this close to 1 is the normal pace (time only halves the slowdown)


class LookPace:
    def __init__(self, rng: random.Random):
        self._random = rng
        self._pace = 1.0  # at the last change: looks are up to this many intervals apart
        self._since = 0.0  # monotonic time of the last change
        self._runs: list[float] = []  # when the last two runs of throttles began (a look that gets through ends one)
        self._run_broke_into_room = False  # the current run came after a QUOTA_WINDOW of looks at the normal pace
        self._normal_pace_since: Optional[float] = None  # the first of the looks in a row through at the normal pace
        self.throttled_in_a_row = 0  # looks the quota refused since the last that got through

    def pace(self, now: float) -> float:
        """How many intervals apart the looks may be now (1.0: the normal pace)."""
        return 1.0 + (self._pace - 1.0) * 0.5 ** (max(0.0, now - self._recovers_from()) / HALF_LIFE)

    def _recovers_from(self) -> float:
        """When time began to bring the pace back: at the last change, after a run that broke into room, and not
        while two runs lie within MEMORY; never (only looks that get through) otherwise."""
        if not self._run_broke_into_room:
            return math.inf
        if len(self._runs) == 2:
            return max(self._since, self._runs[0] + MEMORY)
        return self._since

    def next_gap(self, interval: float, now: float) -> float:
        """Seconds to the next look."""
        pace = self.pace(now)
        return interval if pace < NORMAL_PACE_BELOW else interval * self._random.uniform(1.0, pace)

    def looks_resume(self) -> None:
        """The looks stopped for a while (between prints, a hold): what the quota carried before says little now."""
        self._normal_pace_since = None

    def throttled(self, now: float) -> None:
        pace = self.pace(now)
        if self.throttled_in_a_row == 0:
            self._runs = [*self._runs[-1:], now]
            since = self._normal_pace_since
            self._run_broke_into_room = since is not None and now - since >= QUOTA_WINDOW
        self._normal_pace_since = None
        self.throttled_in_a_row += 1
        self._pace, self._since = min(MAX_PACE, pace * 2), now

    def got_through(self, now: float) -> bool:
        """A look got through; True if looks were refused (throttled) until it."""
        recovered = self.throttled_in_a_row > 0
        pace = self.pace(now)
        if pace >= NORMAL_PACE_BELOW:
            self._normal_pace_since = None
        elif self._normal_pace_since is None:
            self._normal_pace_since = now
        self.throttled_in_a_row = 0
        self._pace, self._since = max(1.0, pace - RECOVERY_PER_LOOK), now
        return recovered
