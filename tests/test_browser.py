"""The UI in a real browser: Debian's Chromium driven by Playwright against the real OctoPrint.

Every control a user can click is clicked here, and what the user would see is checked. Screenshots of
the navbar, the failure notice, the settings page and the tab are kept in test-artifacts/.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from demo.octoprint_instance import OctoPrintServer, wait_for

from conftest import MODEL_ID, SECRETS

pytestmark = pytest.mark.octoprint
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]
NAVBAR = "#navbar_plugin_failwatch .failwatch-navbar"
LABEL = "#navbar_plugin_failwatch .failwatch-navbar-label"
NOTICE = ".ui-pnotify.failwatch-notice"


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def login(chromium, octoprint):
    contexts, errors = [], []

    def open_as(user: str, password: str):
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(octoprint.url + "/", wait_until="domcontentloaded")
        page.fill("#login-user", user)
        page.fill("#login-password", password)
        page.click("#login-button")
        try:
            page.wait_for_selector(LABEL, state="visible", timeout=60_000)
        except Exception as error:
            raise AssertionError(f"the Failwatch navbar did not appear; page errors: {errors}") from error
        return page

    ARTIFACTS.mkdir(exist_ok=True)
    yield open_as
    for context in contexts:
        context.close()
    assert not [e for e in errors if "failwatch" in e.lower()], errors


@pytest.fixture
def idle_printer(octoprint, camera, model):
    """No print at first; the test starts one. Cancelled and reset afterwards."""
    camera.mode, model.verdict = "healthy", "scene"
    model.faults.clear()
    if octoprint.job_state().startswith(("Printing", "Paused", "Pausing")):
        octoprint.cancel_print()
    octoprint.wait_for_state("idle")
    octoprint.failwatch("POST", "acknowledge")
    yield octoprint
    if octoprint.job_state().startswith(("Printing", "Paused", "Pausing")):
        octoprint.cancel_print()
    camera.mode = "healthy"
    octoprint.save_settings({"failure_action": "notify"})


def menu(page, item: str):
    page.click(NAVBAR)
    page.click(f"#navbar_plugin_failwatch {item}")


def show_tab(page):
    # OctoPrint folds tabs that do not fit into a "more" drop-down: show ours the way its links do
    page.evaluate("() => $('#tab_plugin_failwatch_link a').tab('show')")


def overlaps(a, b) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def test_the_navbar_goes_idle_watching_failure_and_the_notice_carries_its_actions(login, idle_printer, camera):
    printing = idle_printer
    page = login("admin", "admin-password")
    expect(page.locator(LABEL)).to_have_text("Idle", timeout=30_000)
    printing.start_print()
    expect(page.locator(LABEL)).to_have_text("Watching", timeout=30_000)
    wait_for(lambda: printing.plugin_status()["last_verdict"], 30, "a first verdict")
    # every text the navbar label takes from now on, as the user would see them go by
    page.evaluate(
        """label => { window.failwatchLabels = [];
        const node = document.querySelector(label);
        new MutationObserver(() => window.failwatchLabels.push(node.textContent.trim()))
            .observe(node, {childList: true, characterData: true, subtree: true}); }""",
        LABEL,
    )
    camera.mode = "failed"
    expect(page.locator(LABEL)).to_have_text("FAILURE", timeout=60_000)
    seen = page.evaluate("window.failwatchLabels")
    assert not any(text.startswith("Cooldown") for text in seen), seen  # one true thing at a time: never
    # the cooldown before the failure it follows
    expect(page.locator(NAVBAR)).to_have_class("dropdown-toggle failwatch-navbar failwatch-failure")
    notice = page.locator(NOTICE).filter(has_text="Print failure detected")
    expect(notice).to_be_visible(timeout=30_000)
    for action in ("Open", "Not a failure", "Acknowledge"):
        expect(notice.locator("button", has_text=action)).to_be_visible()
    expect(notice.locator("img.failwatch-snapshot")).to_be_visible(timeout=30_000)
    # the notice sits at the bottom right: the navbar and the tab links stay reachable
    for other in ("#tabs", "#navbar"):
        assert not overlaps(notice.bounding_box(), page.locator(other).bounding_box()), other
    page.screenshot(path=str(ARTIFACTS / "notice.png"))
    page.click(NAVBAR)
    expect(page.locator(".failwatch-menu")).to_contain_text("Tangled")
    expect(page.locator(".failwatch-menu")).to_contain_text("failure likelihood 92%")
    page.screenshot(path=str(ARTIFACTS / "navbar.png"), clip={"x": 600, "y": 0, "width": 800, "height": 330})
    page.keyboard.press("Escape")
    page.reload(wait_until="networkidle")  # a page opened during the failure shows its notice too
    expect(notice).to_be_visible(timeout=30_000)
    expect(notice.locator("img.failwatch-snapshot")).to_be_visible(timeout=30_000)
    expect(page.locator(LABEL)).to_have_text("FAILURE")

    notice.locator("button", has_text="Open").click()
    expect(page.locator("#tab_plugin_failwatch")).to_be_visible()
    expect(page.locator(".failwatch-incidents")).to_contain_text("Failure confirmed", timeout=30_000)
    # which eye raised it: at the defaults, the model's quick look
    expect(page.locator(".failwatch-incident").first.locator(".failwatch-raised-by")).to_have_text(
        "raised by the model's quick look"
    )
    # the notice never covers the incident list (its label buttons are at the right edge)
    listed, shown = page.locator(".failwatch-incidents").bounding_box(), notice.bounding_box()
    assert listed["x"] + listed["width"] <= shown["x"], (listed, shown)
    assert not overlaps(page.locator("svg.failwatch-timeline").bounding_box(), shown)  # nor the chart
    # the likelihood drawn as steps: a look's value holds until the next one, no slope between two looks
    corners = page.locator(".failwatch-timeline-line").get_attribute("points").split()
    assert len(corners) >= 3 and len(corners) % 2 == 1
    assert all(corners[i].split(",")[0] == corners[i + 1].split(",")[0] for i in range(1, len(corners) - 1, 2))
    assert all(corners[i].split(",")[1] == corners[i - 1].split(",")[1] for i in range(1, len(corners), 2))
    notice.locator("button", has_text="Acknowledge").click()
    expect(page.locator(NOTICE)).to_have_count(0)
    expect(page.locator(LABEL)).to_contain_text("Cooldown")
    page.click(NAVBAR)  # the dropdown no longer shouts a failure the user has seen
    expect(page.locator(".failwatch-menu")).to_contain_text("cooldown after the failure you acknowledged")
    expect(page.locator(".failwatch-menu")).not_to_contain_text("FAILURE confirmed")
    page.keyboard.press("Escape")
    expect(page.locator(".failwatch-now")).to_contain_text("Cooldown")  # the tab says what the navbar says


def test_a_part_left_on_the_plate_is_shown_with_its_picture_and_print_anyway_lets_the_print_go_on(
    login, idle_printer, camera
):
    printing = idle_printer
    printing.save_settings({"bed_check_hold": True})
    try:
        page = login("admin", "admin-password")
        camera.mode = "leftover"  # a part from the last print still on the plate
        printing.start_print()
        notice = page.locator(NOTICE).filter(has_text="Something on the build plate")
        expect(notice).to_be_visible(timeout=60_000)
        expect(notice).to_contain_text("green part")
        expect(notice).to_contain_text("clear the plate, then press Print anyway")
        expect(notice.locator("img.failwatch-snapshot")).to_be_visible(timeout=30_000)
        wait_for(lambda: printing.job_state() == "Paused", 30, "the print to be held")
        show_tab(page)
        expect(page.locator(".failwatch-bed-check")).to_contain_text("something on the plate: A green part")
        expect(page.locator(".failwatch-bed-check button", has_text="Print anyway")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "bed-check.png"))

        camera.mode = "healthy"  # cleared by hand
        notice.locator("button", has_text="Print anyway").click()
        wait_for(lambda: printing.job_state() == "Printing", 30, "the print to go on")
        expect(page.locator(NOTICE).filter(has_text="Something on the build plate")).to_have_count(0)
        expect(page.locator(".failwatch-bed-check button", has_text="Print anyway")).to_be_hidden(timeout=10_000)
    finally:
        printing.save_settings({"bed_check_hold": False})


def test_a_refused_save_keeps_the_snooze_says_why_at_once_and_resume_watching_ends_it(login, idle_printer):
    printing = idle_printer
    page = login("admin", "admin-password")
    printing.start_print()
    expect(page.locator(LABEL)).to_have_text("Watching", timeout=30_000)
    menu(page, ".failwatch-snooze")
    expect(page.locator(LABEL)).to_have_text("Snoozed 30 min", timeout=10_000)

    page.click("#navbar_show_settings")
    page.click("#settings_plugin_failwatch_link a")
    field = page.locator("#failwatch-interval_between_images")
    field.fill("-5")
    field.press("Tab")
    group = page.locator("#settings_plugin_failwatch .control-group.error")
    expect(group).to_contain_text("must be at least 0.5", timeout=10_000)  # said while the value is typed
    page.screenshot(path=str(ARTIFACTS / "settings.png"), full_page=False)
    page.locator("#failwatch-rtsp_url").fill("http://camera.local/stream")  # a stream URL of the wrong kind
    page.click("[data-test-id=settings-save]")
    refusal = page.locator(".ui-pnotify").filter(has_text="Failwatch did not save a setting")
    expect(refusal.filter(has_text="Interval")).to_contain_text(
        "Interval between images: -5 — must be at least 0.5. Kept: 1", timeout=10_000
    )
    # nothing was kept but an empty value: said in words, not "Kept:" and nothing
    expect(refusal.filter(has_text="RTSP URL")).to_contain_text(
        "RTSP URL: http://camera.local/stream — must be a URL starting with rtsp:// or rtsps://. It stays empty."
    )
    expect(page.locator(LABEL)).to_have_text("Snoozed 30 min")  # the save changed nothing else
    assert printing.plugin_status()["state"] == "snoozed"

    page.click("#navbar_show_settings")
    page.click("#settings_plugin_failwatch_link a")
    expect(page.locator("#failwatch-interval_between_images")).to_have_value("1")
    expect(group).to_have_count(0)  # no message contradicting the value shown
    page.keyboard.press("Escape")  # closes the settings dialog without saving

    menu(page, ".failwatch-resume")
    expect(page.locator(LABEL)).to_have_text("Watching", timeout=10_000)
    page.click(NAVBAR)
    expect(page.locator(".failwatch-resume")).to_be_hidden()  # offered only when there is something to end
    expect(page.locator(".failwatch-snooze")).to_be_visible()


def test_not_a_failure_asks_before_resuming_then_the_print_is_watched_after_the_grace_period(
    login, idle_printer, camera
):
    printing = idle_printer
    printing.save_settings({"failure_action": "pause"})
    page = login("admin", "admin-password")
    printing.start_print()
    expect(page.locator(LABEL)).to_have_text("Watching", timeout=30_000)
    wait_for(lambda: printing.plugin_status()["last_verdict"], 30, "a first verdict")
    camera.mode = "failed"
    wait_for(lambda: printing.job_state() == "Paused", 90, "our pause")
    notice = page.locator(NOTICE).filter(has_text="Print failure detected")
    expect(notice).to_be_visible(timeout=30_000)
    show_tab(page)  # the tab is open while the user answers the notice: it must follow without a reload
    row = page.locator(".failwatch-incident").first
    expect(row).to_contain_text("Failure confirmed", timeout=30_000)
    camera.mode = "healthy"
    notice.locator("button", has_text="Not a failure").click()
    dialog = page.locator(".modal").filter(has_text="Resume the print?")
    expect(dialog).to_be_visible(timeout=10_000)
    assert printing.job_state() == "Paused"  # nothing is resumed before the user confirms
    dialog.locator("a", has_text="Resume the print").click()
    wait_for(lambda: printing.job_state() == "Printing", 30, "the print to resume")
    expect(page.locator(LABEL)).to_have_text("Grace 2 min", timeout=30_000)  # not a 15-minute cooldown

    expect(row).to_contain_text("print resumed: not a failure", timeout=30_000)
    # the timeline is readable: a chart of its own width, its label above the plot, never over the line
    chart = page.locator("svg.failwatch-timeline").bounding_box()
    assert chart["width"] >= 400 and chart["height"] >= 150, chart
    assert not overlaps(
        page.locator(".failwatch-threshold-label").bounding_box(),
        page.locator(".failwatch-timeline-area").bounding_box(),
    )
    expect(row).not_to_contain_text("acknowledged")  # the user labelled it; Acknowledge was never pressed
    expect(row.locator(".failwatch-label-not")).to_have_class("btn btn-mini failwatch-label-not active btn-success")
    row.locator(".failwatch-label-real").click()  # one label at a time, changeable
    expect(row.locator(".failwatch-label-real")).to_have_class("btn btn-mini failwatch-label-real active btn-danger")
    expect(row.locator(".failwatch-label-not")).to_have_class("btn btn-mini failwatch-label-not")
    row.locator(".failwatch-label-real").click()  # pressing the active one takes it back
    expect(row.locator(".failwatch-label-real")).to_have_class("btn btn-mini failwatch-label-real")

    row.locator(".failwatch-evidence").click()
    evidence = page.locator(".failwatch-evidence-row").first
    expect(evidence).to_contain_text("Alarm: newest frames")
    expect(evidence).to_contain_text("Verification 3")
    evidence.locator(".failwatch-thumb").nth(4).click()
    viewer = page.locator("#failwatch-viewer")
    expect(viewer).to_be_visible(timeout=10_000)
    expect(viewer.locator("h3")).to_contain_text("Verification")
    wait_for(
        lambda: viewer.locator("img").evaluate("img => img.complete && img.naturalWidth") >= 640,
        10,
        "the frame full size",
    )
    page.screenshot(path=str(ARTIFACTS / "frame-viewer.png"))
    viewer.locator(".close").click()
    expect(viewer).to_be_hidden()
    expect(page.locator(".modal-backdrop")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "tab.png"), full_page=True)


def test_test_now_is_marked_as_a_test_and_raises_no_alarm(login, idle_printer, camera):
    printing = idle_printer
    page = login("admin", "admin-password")
    incidents = printing.failwatch("GET", "incidents").json()["total"]
    camera.mode = "failed"
    menu(page, ".failwatch-test-now")
    expect(page.locator(LABEL)).to_contain_text("test running", timeout=10_000)  # the navbar says a test runs
    show_tab(page)
    result = page.locator(".failwatch-test-result")
    expect(result).to_contain_text("failure confirmed", timeout=60_000)
    expect(result).to_contain_text("the test took")  # the whole test's time, not one model answer's
    seconds = int(result.inner_text().split("the test took ")[1].split(" s")[0])
    assert seconds >= 2  # a series of frames 1 s apart, then verification: never the 0.1 s of one answer
    expect(result).to_contain_text("a test: no alarm, no pause, nothing recorded")
    expect(page.locator(NOTICE)).to_have_count(0)
    expect(page.locator(LABEL)).to_have_text("Idle")
    assert printing.failwatch("GET", "incidents").json()["total"] == incidents


def test_the_settings_page_draws_the_region_of_interest_on_a_live_snapshot(login, octoprint, model):
    page = login("admin", "admin-password")
    page.click("#navbar_show_settings")
    page.click("#settings_plugin_failwatch_link a")
    # the test OctoPrint, like the demo, sends model calls to the local stand-in: said at the top of the model's part
    expect(page.locator(".failwatch-endpoint-override")).to_contain_text(model.url)
    # a backend's own fields only while it is chosen; the detector is a choice, a path only for a file of one's own
    expect(page.locator("#failwatch-aws_role_arn")).to_be_visible()
    expect(page.locator("#failwatch-openai_base_url")).to_be_hidden()
    page.select_option("#failwatch-model_backend", "openai")
    expect(page.locator("#failwatch-openai_base_url")).to_be_visible()
    expect(page.locator("#failwatch-aws_role_arn")).to_be_hidden()
    page.select_option("#failwatch-model_backend", "bedrock")
    expect(page.locator(".failwatch-detector-file")).to_be_hidden()
    page.select_option("#failwatch-local_detector", "file")
    expect(page.locator(".failwatch-detector-file")).to_be_visible()
    page.fill(".failwatch-detector-file", "/home/pi/detector.bin")  # not a model file: said as it is typed
    page.locator(".failwatch-detector-file").press("Tab")
    expect(page.locator("#settings_plugin_failwatch .control-group.error")).to_contain_text(
        "the path of a .tflite model", timeout=10_000
    )
    page.select_option("#failwatch-local_detector", "off")
    expect(page.locator(".failwatch-detector-file")).to_be_hidden()
    page.click("#settings_plugin_failwatch button:has-text('Live snapshot')")
    snapshot = page.locator(".failwatch-roi img")
    expect(snapshot).to_be_visible(timeout=30_000)
    snapshot.scroll_into_view_if_needed()
    box = snapshot.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.9, steps=5)
    page.mouse.up()
    region = [float(v) for v in page.locator("#failwatch-region_of_interest").input_value().split(",")]
    assert region == pytest.approx([0.25, 0.2, 0.5, 0.7], abs=0.02)
    expect(page.locator(".failwatch-roi-box")).to_be_visible()
    page.locator(".failwatch-roi").screenshot(path=str(ARTIFACTS / "region-of-interest.png"))
    page.keyboard.press("Escape")  # closes the settings dialog without saving


def test_model_text_with_html_is_shown_as_text_and_runs_nothing(login, octoprint, model, camera):
    page = login("admin", "admin-password")
    camera.mode = "healthy"
    hostile = '<img src=x onerror="window.__failwatch_xss = 1">Looks fine'
    model.faults.append("explain:" + hostile)
    octoprint.failwatch("POST", "test_now")
    wait_for(lambda: (octoprint.plugin_status().get("test") or {}).get("verdict"), 60, "the test verdict")
    page.click(NAVBAR)
    expect(page.locator(".failwatch-menu")).to_contain_text(hostile, timeout=30_000)
    assert page.evaluate("window.__failwatch_xss") is None
    assert page.locator(".failwatch-menu img").count() == 0


def test_a_plain_user_gets_no_secrets_in_the_browser(login, octoprint):
    page = login("viewer", "viewer-password")
    seen = []
    page.on("response", lambda response: seen.append(response))
    page.reload(wait_until="networkidle")
    page.wait_for_selector(LABEL, state="visible", timeout=60_000)
    settings = page.evaluate("() => OctoPrint.settings.get()")
    failwatch = settings["plugins"]["failwatch"]
    assert failwatch["aws_secret_access_key"] is None and failwatch["discord_webhook_url"] is None
    everything = page.content() + str(settings)
    for response in seen:
        try:
            everything += response.text()
        except Exception:  # redirects and aborted requests have no body
            pass
    for secret in SECRETS:
        assert secret not in everything
    expect(page.locator("#navbar_plugin_failwatch")).to_be_visible()


def test_a_past_print_is_replayed_from_the_tab_and_the_alarm_it_would_have_raised_is_shown(
    login, idle_printer, printnanny
):
    import shutil

    from demo.printnanny import still_camera_frames, write_timelapse

    octoprint = idle_printer
    # PrintNanny's model in the plugin's data folder, as a first fetch leaves it: the free replay needs no download
    shutil.copytree(printnanny.cache, octoprint.basedir / "data" / "failwatch" / "models", dirs_exist_ok=True)
    timelapses = octoprint.basedir / "timelapse"
    timelapses.mkdir(exist_ok=True)
    healthy, strands = still_camera_frames(printnanny.photo(4), 30, 2), still_camera_frames(printnanny.photo(3), 30, 3)
    write_timelapse(timelapses / "benchy_20261207.mp4", healthy + strands)  # strands from 5 min on

    page = login("admin", "admin-password")
    show_tab(page)
    row = page.locator("tr[data-timelapse='benchy_20261207.mp4']")
    expect(row).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("10 min")
    row.locator(".failwatch-replay-free").click()
    result = page.locator(".failwatch-replay-result")
    expect(result).to_be_visible(timeout=120_000)
    # the test OctoPrint's cooldown is short: the same strands are confirmed again after each one
    expect(result.locator("strong")).to_have_text(re.compile(r"judged by the on-device detector alone: (\d+) alarm"))
    expect(result.locator("li").first).to_have_text(
        re.compile(r"^5\.\d min in: raised by the on-device detector, confirmed$")
    )
    timeline = result.locator("img.failwatch-replay-timeline")
    wait_for(lambda: timeline.evaluate("image => image.complete && image.naturalWidth > 0"), 30, "the timeline")
    page.locator(".failwatch-past-prints").screenshot(path=str(ARTIFACTS / "past-print-replay.png"))


@pytest.fixture
def fresh_octoprint(tmp_path, camera, model):
    """An OctoPrint where Failwatch was just installed: nothing of it set, but its model calls go to the stand-in."""
    webcam = {"snapshot": camera.url, "_config_version": 1}
    server = OctoPrintServer(
        tmp_path / "fresh",
        {"bedrock_endpoint_url": model.url, "sts_endpoint_url": model.url},
        plugins_config={"classicwebcam": webcam},
    )
    server.prepare()
    server.start()
    yield server
    if server.job_state().startswith(("Printing", "Paused", "Pausing")):
        server.cancel_print()
    server.stop()


def test_a_new_owner_sets_failwatch_up_in_the_wizard_and_the_next_print_is_watched(chromium, fresh_octoprint, model):
    server = fresh_octoprint
    assert server.plugin_status()["state"] == "not_configured"
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(server.url + "/", wait_until="domcontentloaded")
        page.fill("#login-user", "admin")
        page.fill("#login-password", "admin-password")
        page.click("#login-button")
        wizard = page.locator("#wizard_plugin_failwatch")
        expect(wizard).to_be_visible(timeout=60_000)  # not configured: the wizard opens by itself

        page.click(".failwatch-wizard-picture")  # 1. the camera: OctoPrint's webcam, seen
        expect(page.locator(".failwatch-wizard-snapshot")).to_be_visible(timeout=30_000)
        page.select_option("#failwatch-wizard-model", "bedrock_key")  # 2. the model, with one key
        page.fill("#failwatch-wizard-inference_profile_arn", MODEL_ID)
        page.fill("#failwatch-wizard-aws_bearer_token", "WIZARD-BEARER-4711")
        expect(page.locator("#failwatch-wizard-aws_access_key_id")).to_be_hidden()
        page.click(".failwatch-wizard-test")  # 3. one frame, one model call, before anything is saved
        expect(page.locator(".failwatch-wizard-result")).to_contain_text("It works", timeout=60_000)
        assert model.converse_requests[-1]["access_key"] == "bearer:WIZARD-BEARER-4711"
        page.check("input[name=failwatch-wizard-action][value=pause]")  # 4. the action
        page.screenshot(path=str(ARTIFACTS / "wizard.png"))
        page.click("#wizard_dialog .button-finish")
        expect(page.locator("#wizard_dialog")).to_be_hidden(timeout=30_000)

        status = wait_for(lambda: (s := server.plugin_status())["state"] == "idle" and s, 30, "Failwatch set up")
        assert status["action"] == "pause" and status["model"] == MODEL_ID
        server.save_settings({"warmup_minutes": 0})  # not the wizard's: the default 2 minutes would only slow the test
        server.start_print()
        server.wait_for_state("watching")
        wait_for(lambda: server.plugin_status()["last_verdict"], 60, "the print's first look")
        assert model.converse_requests[-1]["access_key"] == "bearer:WIZARD-BEARER-4711"  # the key was saved

        page.click("#navbar_show_settings")  # the wizard again, from the settings page
        page.click("#settings_plugin_failwatch_link a")
        page.click(".failwatch-run-wizard")
        expect(page.locator("#wizard_plugin_failwatch")).to_be_visible(timeout=60_000)
        expect(page.locator("#failwatch-wizard-inference_profile_arn")).to_have_value(MODEL_ID)
    finally:
        context.close()
