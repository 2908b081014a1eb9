"""The picture-change eye on PrintNanny's real photos: a working printer (its head and bed moving) raises nothing,
the failures the detector was not trained for (a part knocked loose, swept off, a layer shift) are raised within
three looks, and a change that stays is raised once. Then the whole cascade in `failwatch evaluate`: a part knocked
loose is raised by the change eye and confirmed by the model, no slower than the defaults."""

import pytest

from demo.photo_judge import PhotoJudge
from demo.printnanny import still_camera_frames, write_frames
from demo.printnanny_motion import UNTRAINED, failed_photo, moving_frames
from octoprint_failwatch.analysis.picture_change import SETTLE, PictureChange
from octoprint_failwatch.frame import Frame
from tests.test_evaluate import INTERVAL, evaluate, evaluate_environment, label_one_print, with_detector_cache

pytest.importorskip("numpy")


@pytest.fixture
def photo_model(model):
    """The session's model server, judging by the photos a test gives it (`judge`); its scene eyes again after."""
    model.verdict, model.faults[:] = "scene", []
    yield model
    model.judge = None


def changes_seen(frames: list[bytes], eye=None, first: int = 0) -> list[tuple[int, object]]:
    """(look number, change) for every look of `frames`, taken INTERVAL seconds apart from look number `first` on,
    that raised a change (not one that is only beginning)."""
    eye = eye or PictureChange()
    seen = []
    for number, jpeg in enumerate(frames, first):
        change = eye.observe(Frame(jpeg, number * INTERVAL, 1_700_000_000 + number * INTERVAL))
        if change is not None and change.raised:
            seen.append((number, change))
    return seen


@pytest.mark.parametrize("photo", [2, 4])
def test_a_working_printer_with_its_head_and_bed_moving_raises_no_change(printnanny, photo):
    frames = moving_frames(printnanny.photo(photo), photo, 300, draw=photo)  # ten minutes, a look every 2 s
    assert changes_seen(frames) == []


def test_the_room_light_dimmed_is_no_change(printnanny):
    import io

    from PIL import Image, ImageEnhance

    photo = Image.open(io.BytesIO(printnanny.photo(4))).convert("RGB")
    dimmed = io.BytesIO()  # the same scene, a quarter darker
    ImageEnhance.Brightness(photo).enhance(0.75).save(dimmed, "JPEG", quality=90)
    frames = still_camera_frames(printnanny.photo(4), 60, draw=1) + still_camera_frames(dimmed.getvalue(), 30, draw=2)
    assert changes_seen(frames) == []


@pytest.mark.parametrize("kind", UNTRAINED)
def test_a_failure_the_detector_was_not_trained_for_is_raised_within_three_looks(printnanny, kind):
    onset = 100
    frames = moving_frames(printnanny.photo(4), 4, onset, draw=1)
    frames += moving_frames(failed_photo(printnanny.photo(4), 4, kind), 4, 40, draw=2)
    seen = changes_seen(frames)
    assert seen and all(number >= onset for number, _ in seen)
    first, change = seen[0]
    assert first <= onset + 2  # the onset's look and the two after it
    verdict = change.verdict()
    assert verdict.print_failed and verdict.source == "change"
    assert "of the picture" in verdict.explanation and "%" in verdict.explanation
    # a change that stays is the print's once it is SETTLE seconds old: raised once, not at every look
    assert seen[-1][0] < onset + SETTLE / INTERVAL + 3


def test_a_new_watch_holds_the_picture_as_it_is_from_then(printnanny):
    eye = PictureChange()
    changes_seen(moving_frames(printnanny.photo(4), 4, 60, draw=1), eye)
    eye.forget()  # e.g. the print resumed after the user took the part off and started again
    swept = moving_frames(failed_photo(printnanny.photo(4), 4, "swept"), 4, 60, draw=2)
    assert changes_seen(swept, eye) == []


def test_a_change_the_judge_rejected_leaves_no_blind_spot_unless_it_comes_back_there(printnanny):
    eye, photo, looks = PictureChange(), printnanny.photo(4), [0]
    healthy = moving_frames(photo, 4, 100, draw=1)
    moved_photo = failed_photo(photo, 4, "moved")  # e.g. the user moved the part on purpose
    moved, moved_learned = moving_frames(moved_photo, 4, 10, draw=2), moving_frames(moved_photo, 4, 100, draw=3)

    def raised_after_learning(learned: list[bytes], changed: list[bytes]) -> bool:
        """Whether the eye, having learned the picture `learned` shows, raises what `changed` shows; then the judge
        rejects it and a new watch begins, as after a rejected alarm."""
        eye.forget()
        seen = []
        for frames in (learned, changed):
            seen.append(changes_seen(frames, eye, looks[0]) != [])
            looks[0] += len(frames)
        eye.last_rejected()
        assert not seen[0]  # nothing while it learns the picture
        return seen[1]

    assert raised_after_learning(healthy, moved)  # rejected once: the part's place is no blind spot
    assert raised_after_learning(moved_learned, healthy[:10])  # the part back where it was, rejected again there
    assert not raised_after_learning(healthy, moved)  # a change that keeps coming back there is the print's own


def test_a_part_knocked_loose_is_raised_by_the_change_eye_and_confirmed_no_slower_than_the_defaults(
    tmp_path, printnanny, photo_model
):
    model = photo_model
    healthy = moving_frames(printnanny.photo(4), 4, 125, draw=1)  # four minutes of a working printer, then
    moved = moving_frames(failed_photo(printnanny.photo(4), 4, "moved"), 4, 60, draw=2)
    write_frames(tmp_path / "dataset" / "moved", healthy + moved)
    label_one_print(tmp_path / "dataset", "moved", len(healthy) * INTERVAL)
    model.judge = PhotoJudge([*((jpeg, False) for jpeg in healthy), *((jpeg, True) for jpeg in moved)])
    env = with_detector_cache(evaluate_environment(model, tmp_path), tmp_path, printnanny)
    _, report = evaluate(tmp_path / "dataset", env, "--compare", "", "local_detector=printnanny", "--latency", "3")
    defaults, local = report["settings as configured"]["overall"], report["local_detector=printnanny"]["overall"]
    assert defaults["recall"] == local["recall"] == 1.0
    assert defaults["false_alarms_per_print_hour"] == local["false_alarms_per_print_hour"] == 0
    assert local["alarms_raised_by_change"] == 1 and local["alarms_raised_by_model"] == 0
    assert local["onset_to_confirmed_median"] <= defaults["onset_to_confirmed_median"]
    assert local["calls"] < defaults["calls"]
