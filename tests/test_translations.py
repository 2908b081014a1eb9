"""Translators get every string: babel.cfg extracts the Python, template and browser strings, whole sentences
with named gaps where values go."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

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
    messages = {
        message for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    }
    assert "Allows to see Failwatch's monitoring status" in messages  # the plugin's Python
    assert "On-device detector" in messages and "Failwatch" in messages  # the settings page's template
    assert "Verifying: %(done)s of %(series)s checked" in messages  # the browser's, a whole sentence
    assert "Failure confirmed (%(positives)s of %(series)s)" in messages
    assert len(messages) > 150


def extracted() -> set[str]:
    method_map, options_map = mapping()
    keywords = {**DEFAULT_KEYWORDS, "tr": None}
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    }


def test_the_catalogue_holds_every_string_the_code_has():
    """translations/messages.pot is what translators start from: a string added without `make translations`
    would never reach them."""
    with open(ROOT / "translations" / "messages.pot", "rb") as pot:
        catalogue = {
            message.id if isinstance(message.id, str) else message.id[0] for message in read_po(pot) if message.id
        }
    missing = extracted() - catalogue
    assert not missing, f"not in translations/messages.pot (run `make translations`): {sorted(missing)[:10]}"


JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
SHOWN_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label", "value"}


class _TemplateText(HTMLParser):
    """The text a template shows, with every Jinja expression taken out: what is left is not translated."""

    def __init__(self):
        super().__init__()
        self.bare: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.bare += [value for name, value in attrs if name in SHOWN_ATTRIBUTES and value and _words(value)]

    def handle_data(self, data):
        if _words(data):
            self.bare.append(data.strip())


def _words(text: str) -> bool:
    return re.search(r"[A-Za-z]{2,}", text) is not None


def test_every_word_a_template_shows_goes_through_gettext():
    for template in (ROOT / "octoprint_failwatch" / "templates").glob("*.jinja2"):
        parser = _TemplateText()
        parser.feed(JINJA.sub(" ", template.read_text()))
        assert parser.bare == [], f"{template.name} shows words that are not wrapped in _(): {parser.bare}"


def _js_strings(source: str):
    """(line, literal, wrapped) for each string literal of the script outside comments; `wrapped` when it is an
    argument of tr() (or a literal joined with + to one)."""
    code = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group().count("\n"), source, flags=re.S)
    code = re.sub(r"(?m)^\s*//.*$|(?<=[;,{}()\s])//[^\n\"']*$", "", code)
    literal = r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'"
    for match in re.finditer(rf"(tr\(\s*)?((?:{literal})(?:\s*\+\s*(?:{literal}))*)", code):
        for part in re.finditer(literal, match.group(2)):
            yield code[: match.start()].count("\n") + 1, part.group()[1:-1], match.group(1) is not None


def _prose(text: str) -> bool:
    """Words a person reads: letters with a space or a colon (identifiers, CSS classes, selectors and markup
    are single tokens or start with # or <)."""
    if not _words(text) or text.lstrip().startswith(("#", "<")) or '="' in text:
        return False
    if all(re.fullmatch(r"[a-z0-9_-]+", token) for token in text.split()):
        return False  # class names: "stack-bottomright failwatch-notice"
    return " " in text or ":" in text


def test_every_sentence_the_browser_shows_goes_through_tr_whole():
    source = (ROOT / "octoprint_failwatch" / "static" / "js" / "failwatch.js").read_text()
    bare = [(line, text) for line, text, wrapped in _js_strings(source) if not wrapped and _prose(text)]
    assert bare == [], f"failwatch.js shows words outside tr(): {bare}"
    # a translated piece glued to another is a fragment a translator cannot reorder: whole sentences with gaps
    glued = [source[: m.start()].count("\n") + 1 for m in re.finditer(r"\+\s*tr\(|tr\([^()]*\)\s*\+", source)]
    assert glued == [], f"failwatch.js glues translated fragments on lines {glued}"
