"""The UI in a real browser: Debian's Chromium driven by Playwright against the real OctoPrint.

Screenshots of the navbar, the settings page and the tab are kept in test-artifacts/.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from demo.octoprint_instance import wait_for

from conftest import SECRETS

pytestmark = pytest.mark.octoprint
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
LABEL = "#navbar_plugin_failwatch .failwatch-navbar-label"


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
        page.on("dialog", lambda dialog: dialog.dismiss())
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


def test_the_navbar_goes_idle_watching_failure_and_the_tab_shows_the_incident(login, idle_printer, camera):
    printing = idle_printer
    page = login("admin", "admin-password")
    expect(page.locator(LABEL)).to_have_text("Idle", timeout=30_000)
    printing.start_print()
    expect(page.locator(LABEL)).to_have_text("Watching", timeout=30_000)
    wait_for(lambda: printing.plugin_status()["last_verdict"], 30, "a first verdict")
    camera.mode = "failed"
    expect(page.locator(LABEL)).to_have_text("FAILURE", timeout=60_000)
    expect(page.locator("#navbar_plugin_failwatch .failwatch-navbar")).to_have_class("dropdown-toggle "
                                                                                     "failwatch-navbar "
                                                                                     "failwatch-failure")
    expect(page.locator(".ui-pnotify").filter(has_text="Print failure detected")).to_be_visible(timeout=30_000)
    page.click("#navbar_plugin_failwatch .failwatch-navbar")
    expect(page.locator(".failwatch-menu")).to_contain_text("Tangled")
    page.screenshot(path=str(ARTIFACTS / "navbar.png"), clip={"x": 600, "y": 0, "width": 800, "height": 330})
    page.keyboard.press("Escape")

    # OctoPrint folds tabs that do not fit into a "more" drop-down: show ours the way its links do
    page.evaluate("() => $('#tab_plugin_failwatch_link a').tab('show')")
    expect(page.locator(".failwatch-incidents")).to_contain_text("Failure confirmed", timeout=30_000)
    expect(page.locator(".failwatch-frame").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "tab.png"), full_page=True)


def test_a_bad_setting_shows_its_message_on_the_settings_page(login, octoprint):
    page = login("admin", "admin-password")
    page.click("#navbar_show_settings")
    page.click("#settings_plugin_failwatch_link a")
    field = page.locator("#failwatch-interval_between_images")
    field.fill("-5")
    field.press("Tab")
    page.click("[data-test-id=settings-save]")
    wait_for(lambda: octoprint.plugin_status()["settings_errors"], 30, "the refused setting")
    page.click("#navbar_show_settings")
    page.click("#settings_plugin_failwatch_link a")
    message = page.locator("#settings_plugin_failwatch .alert-error")
    expect(message).to_contain_text("Interval between images: must be at least 0.5", timeout=30_000)
    expect(page.locator("#failwatch-interval_between_images")).to_have_value("1")  # the old value stayed
    page.screenshot(path=str(ARTIFACTS / "settings.png"), full_page=False)

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
    octoprint.save_settings({"interval_between_images": 1})


def test_model_text_with_html_is_shown_as_text_and_runs_nothing(login, octoprint, model, camera):
    page = login("admin", "admin-password")
    camera.mode = "healthy"
    hostile = '<img src=x onerror="window.__failwatch_xss = 1">Looks fine'
    model.faults.append("explain:" + hostile)
    octoprint.failwatch("POST", "test_now")
    wait_for(lambda: (octoprint.plugin_status().get("test") or {}).get("verdict"), 60, "the test verdict")
    page.click("#navbar_plugin_failwatch .failwatch-navbar")
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
