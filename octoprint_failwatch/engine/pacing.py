"""How often the routine looks go out while the account's quota is spent.

A look refused by the quota (throttled) doubles how far apart the next looks may be, up to `MAX_PACE`
intervals, drawn at random so that the printers of a farm sharing the account do not come back in step.
The pace comes back by itself: each look that gets through takes `RECOVERY_PER_LOOK` off, and time does
the rest (the slowdown halves every `HALF_LIFE` seconds without a throttle), so a burst of throttles does
not keep the watch slow long after the quota has room again. Only throttles move the pace: a 5xx or a
timeout says nothing about the quota.
"""

from __future__ import annotations

import random

MAX_PACE = 4.0  # looks at most this many intervals apart, on average half of it
RECOVERY_PER_LOOK = 0.1  # each look that gets through brings the pace back by this much
HALF_LIFE = 20.0  # seconds: without a throttle the slowdown halves this often


class LookPace:
    def __init__(self, rng: random.Random):
        self._random = rng
        self._pace = 1.0  # at the last change: looks are up to this many intervals apart
        self._since = 0.0  # monotonic time of the last change
        self.throttled_in_a_row = 0  # looks the quota refused since the last that got through

    def pace(self, now: float) -> float:
        """How many intervals apart the looks may be now (1.0: the normal pace)."""
        return 1.0 + (self._pace - 1.0) * 0.5 ** (max(0.0, now - self._since) / HALF_LIFE)

    def next_gap(self, interval: float, now: float) -> float:
        """Seconds to the next look."""
        pace = self.pace(now)
        return interval if pace < 1.001 else interval * self._random.uniform(1.0, pace)

    def throttled(self, now: float) -> None:
        self.throttled_in_a_row += 1
        self._pace, self._since = min(MAX_PACE, self.pace(now) * 2), now

    def got_through(self, now: float) -> None:
        self.throttled_in_a_row = 0
        self._pace, self._since = max(1.0, self.pace(now) - RECOVERY_PER_LOOK), now
