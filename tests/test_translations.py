"""Translators get every string: babel.cfg extracts the Python, template and browser strings, whole sentences
with named gaps where values go."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

ROOT = Path(__file__).parent.parent


def mapping():
    try:
        from babel.messages.frontend import parse_mapping_cfg
    except ImportError:  # Babel before 2.12
        from babel.messages.frontend import parse_mapping as parse_mapping_cfg
    with open(ROOT / "babel.cfg") as config:
        return parse_mapping_cfg(config)


def test_babel_cfg_extracts_the_strings_of_python_templates_and_the_browser():
    method_map, options_map = mapping()
    keywords = {**DEFAULT_KEYWORDS, "tr": None}
    messages = {message for _, _, message, _, _ in
                extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)}
    assert "Allows to see Failwatch's monitoring status" in messages  # the plugin's Python
    assert "On-device detector" in messages and "Failwatch" in messages  # the settings page's template
    assert "Verifying: %(done)s of %(series)s checked" in messages  # the browser's, a whole sentence
    assert "Failure confirmed (%(positives)s of %(series)s)" in messages
    assert len(messages) > 150
