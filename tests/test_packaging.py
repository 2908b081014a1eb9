"""The sdist, installed with plain pip into a fresh venv, gives an OctoPrint that loads Failwatch with its UI."""

import subprocess
import sys
from pathlib import Path

import pytest

from demo.octoprint_instance import OctoPrintServer

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.octoprint


def run(*command, cwd=None):
    subprocess.run(command, check=True, cwd=cwd, capture_output=True, timeout=900)


def test_sdist_installs_into_a_fresh_octoprint_and_serves_the_plugin(tmp_path):
    run(sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"), cwd=ROOT)
    archive = next((tmp_path / "dist").glob("*.tar.gz"))
    run(sys.executable, "-m", "venv", str(tmp_path / "venv"))
    python = tmp_path / "venv" / "bin" / "python"
    run(str(python), "-m", "pip", "install", "-q", str(archive))

    server = OctoPrintServer(tmp_path / "basedir", {}, python=str(python))
    server.prepare()
    try:
        server.start()
        plugins = server.api("GET", "/plugin/pluginmanager/plugins").json()["plugins"]
        failwatch = next(p for p in plugins if p["key"] == "failwatch")
        assert failwatch["enabled"] and failwatch["version"] == "0.1.0"
        # metadata is declared once, in pyproject.toml
        assert failwatch["author"] == "The Failwatch developers" and "vision model" in failwatch["description"]
        assert failwatch["url"] == "https://github.com/failwatch/OctoPrint-Failwatch"
        page = server.api("GET", "/").text
        assert 'id="navbar_plugin_failwatch"' in page and 'id="settings_plugin_failwatch"' in page
        script = server.api("GET", "/plugin/failwatch/static/js/failwatch.js")
        assert script.status_code == 200 and "FailwatchNavbarViewModel" in script.text
        client = server.api("GET", "/plugin/failwatch/static/clientjs/failwatch.js")
        assert client.status_code == 200 and 'registerPluginComponent("failwatch"' in client.text
        assert server.plugin_status()["state"] == "not_configured"
    finally:
        server.stop()
