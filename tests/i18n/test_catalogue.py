"""The Chinese catalogue is complete and compiled: no entry is untranslated or fuzzy (what ``make messages`` would
show), and the compiled ``.mo`` that Django reads says what the ``.po`` says (a catalogue edited but not compiled
fails here).

Whether every string in the code is in the catalogue is the pages' test (``test_pages_one_language``): a msgid
missing from it renders in English on a Chinese page.
"""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0


def parse_po(text: str) -> list[Entry]:
    """A small reader of the PO format (the parts ``makemessages`` writes)."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int | None] | None = None

    def finish() -> None:
        nonlocal entry, target
        if entry.msgstr or entry.msgid:
            entries.append(entry)
        entry, target = Entry(), None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword == "msgctxt":
            if entry.msgstr:  # no blank line between entries
                finish()
            target, entry.msgctxt = ("msgctxt", None), ast.literal_eval(rest)
        elif keyword == "msgid":
            if entry.msgstr:  # no blank line between entries
                finish()
            entry.line = number
            target, entry.msgid = ("msgid", None), ast.literal_eval(rest)
        elif keyword == "msgid_plural":
            target, entry.msgid_plural = ("msgid_plural", None), ast.literal_eval(rest)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            target = ("msgstr", index)
            entry.msgstr[index] = ast.literal_eval(rest)
        elif line.startswith('"') and target is not None:
            part = ast.literal_eval(line)
            name, index = target
            if name == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + part
            elif name == "msgid":
                entry.msgid += part
            elif name == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + part
            else:
                entry.msgstr[index] += part  # type: ignore[index]
    finish()
    return entries


def catalogue() -> list[Entry]:
    return [e for e in parse_po((LOCALE / "django.po").read_text(encoding="utf-8")) if e.msgid and not e.obsolete]


def test_the_reader_reads_what_it_must():
    """The reader itself, on known input: a translated entry, an untranslated one, a fuzzy one, a plural."""
    entries = parse_po(
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#: a.py:1\nmsgid "Saved."\nmsgstr "已保存。"\n\n'
        'msgid "Left"\nmsgstr ""\n\n'
        '#, fuzzy, python-format\nmsgid "A %(n)s"\nmsgstr "甲 %(n)s"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "多"\n\n'
        'msgid ""\n"two "\n"lines"\nmsgstr ""\n"两"\n"行"\n\n'
        'msgctxt "plan"\nmsgid "Saved."\nmsgstr "已存"\n'
    )
    by_id = {e.msgid: e for e in entries if e.msgctxt is None}
    assert [(e.msgctxt, e.msgstr) for e in entries if e.msgctxt] == [("plan", {0: "已存"})]
    assert by_id["Saved."].msgstr == {0: "已保存。"}
    assert by_id["Left"].msgstr == {0: ""}
    assert "fuzzy" in by_id["A %(n)s"].flags
    assert (by_id["one"].msgid_plural, by_id["one"].msgstr) == ("many", {0: "多"})
    assert by_id["two lines"].msgstr == {0: "两行"}


def test_no_entry_is_untranslated_or_fuzzy():
    entries = catalogue()
    assert len(entries) > 1000  # the whole catalogue was read
    left = [f"line {e.line}: {e.msgid!r}" for e in entries if not all(e.msgstr.values()) or not e.msgstr]
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    assert left == [], "untranslated:\n" + "\n".join(left)
    assert fuzzy == [], "fuzzy:\n" + "\n".join(fuzzy)


def test_the_compiled_catalogue_says_what_the_source_says():
    with (LOCALE / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    differ = []
    for entry in catalogue():
        if entry.msgctxt is not None:
            got = compiled.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr[0]:
                differ.append(f"{entry.msgid!r} ({entry.msgctxt}): compiled {got!r}, source {entry.msgstr[0]!r}")
        elif entry.msgid_plural is None:
            got = compiled.gettext(entry.msgid)
            if got != entry.msgstr[0]:
                differ.append(f"{entry.msgid!r}: compiled {got!r}, source {entry.msgstr[0]!r}")
        else:
            got = compiled.ngettext(entry.msgid, entry.msgid_plural, 1)
            if got != entry.msgstr[0]:
                differ.append(f"{entry.msgid!r} (plural): compiled {got!r}, source {entry.msgstr[0]!r}")
    assert differ == [], "compile the catalogue (make messages):\n" + "\n".join(differ[:20])
