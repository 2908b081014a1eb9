"""What the on-device detector has flagged in a print: a flag is a change only when its region is new or growing —
a look-alike that is part of the print is flagged in every frame and never changes."""

from octoprint_failwatch.analysis.print_memory import ABSENT_LOOKS, NEW_FOR, PrintMemory

ORGANIC = (0.40, 0.30, 0.65, 0.41)  # a draped part the detector scores as spaghetti
STRANDS = (0.20, 0.60, 0.35, 0.80)


def whys(changes) -> list[str]:
    return [change.why for change in changes]


def test_a_look_alike_there_from_the_first_look_is_never_a_change_however_long_it_stays():
    memory = PrintMemory()
    for second in range(0, 3600, 2):
        jitter = 0.005 * (second % 3 - 1)  # the detector's box moves a little from frame to frame
        box = (ORGANIC[0] + jitter, ORGANIC[1], ORGANIC[2] + jitter, ORGANIC[3] - jitter)
        assert memory.observe([(box, True)], float(second)) == []


def test_strands_where_the_watch_had_seen_nothing_are_new_until_they_have_been_in_place_for_long():
    memory = PrintMemory()
    for second in range(0, 120, 2):
        assert memory.observe([(ORGANIC, True)], float(second)) == []
    assert whys(memory.observe([(ORGANIC, True), (STRANDS, True)], 120.0)) == ["new"]
    assert whys(memory.observe([(STRANDS, True)], 120.0 + NEW_FOR)) == ["new"]
    assert memory.observe([(STRANDS, True)], 121.0 + NEW_FOR) == []  # unconfirmed for that long: part of the print


def test_a_region_seen_within_the_first_looks_is_not_new_but_one_that_grows_is_a_change():
    memory = PrintMemory()
    for look in range(ABSENT_LOOKS - 1):
        memory.observe([], float(look))
    assert memory.observe([(STRANDS, True)], 10.0) == []  # the watch had barely looked: no absence to go by
    bigger = (STRANDS[0] - 0.05, STRANDS[1] - 0.05, STRANDS[2] + 0.05, STRANDS[3] + 0.05)
    assert whys(memory.observe([(bigger, True)], 60.0)) == ["growing"]


def test_two_regions_in_one_frame_are_never_taken_for_each_other():
    memory = PrintMemory()
    near = (0.39, 0.41, 0.51, 0.52)  # close to ORGANIC, about half its size: a region of its own
    for second in range(0, 60, 2):
        assert memory.observe([(near, True), (ORGANIC, True)], float(second)) == []
    assert memory.observe([(ORGANIC, True), (near, True)], 60.0) == []  # listed the other way round: still the same two


def test_a_look_alike_seen_weakly_from_the_start_is_no_change_when_it_is_flagged_later():
    memory = PrintMemory()
    for second in range(0, 60, 2):  # scored under the threshold: seen, not flagged
        assert memory.observe([(ORGANIC, False)], float(second)) == []
    assert memory.observe([(ORGANIC, True)], 60.0) == []  # over it now and then: the same place all along
    duplicate = (ORGANIC[0] + 0.02, ORGANIC[1], ORGANIC[2], ORGANIC[3] + 0.02)  # a second box over the same area
    assert memory.observe([(ORGANIC, True), (duplicate, True)], 62.0) == []
