"""The French catalogue is complete, its committed .mo is compiled from it, and Django uses it.

Needs no GNU gettext: the .po is read by the small parser below and the .mo by Python's own
`gettext` module, so a machine without gettext still catches a missing translation, a fuzzy
entry, a broken placeholder or a .mo that was not compiled again after the .po changed.
"""

import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from accounts.models import Role

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale" / "fr" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

# The placeholders that gettext's own tools leave in a catalogue nobody has filled in.
TEMPLATE_NOISE = (
    "SOME DESCRIPTIVE TITLE",
    "YEAR",
    "FIRST AUTHOR",
    "EMAIL@ADDRESS",
    "FULL NAME",
    "PACKAGE",
    "LANGUAGE <LL@li.org>",
)
PYTHON_FORMAT = re.compile(
    r"%(?:\(([^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?([diouxXeEfFgGcrsa%])"
)
# Conversions msgfmt treats as interchangeable, as it checks a python-format entry.
CONVERSION_KINDS = {**dict.fromkeys("diouxX", "integer"), **dict.fromkeys("eEfFgG", "float")}
CONVERSION_KINDS.update({**dict.fromkeys("sra", "string"), "c": "character", "%": "percent"})
PYTHON_BRACE_FORMAT = re.compile(r"\{[^{}]*\}")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


# --- A small .po parser --------------------------------------------------------------------


class PoSyntaxError(ValueError):
    pass


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str | None = None
    msgid_plural: str | None = None
    # None for a plain `msgstr`, n for `msgstr[n]`.
    msgstr: dict[int | None, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> str:
        """The key under which a compiled catalogue stores this entry."""
        assert self.msgid is not None
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"

    @property
    def forms(self) -> list[str]:
        return [self.msgstr[index] for index in sorted(self.msgstr, key=lambda i: i or 0)]

    def __str__(self) -> str:
        context = f" (context {self.msgctxt!r})" if self.msgctxt is not None else ""
        return f"line {self.line}: {self.msgid!r}{context}"


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_ESCAPES.update({"\\": "\\", '"': '"', "'": "'", "?": "?"})
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(.*)")


def _unquote(token: str, line: int) -> str:
    match = _QUOTED.fullmatch(token.strip())
    if match is None:
        raise PoSyntaxError(f"line {line}: expected one quoted string, got {token!r}")

    def unescape(escape: re.Match) -> str:
        code = escape.group(1)
        if code not in _ESCAPES:
            raise PoSyntaxError(f"line {line}: unsupported escape \\{code}")
        return _ESCAPES[code]

    return re.sub(r"\\(.)", unescape, match.group(1))


def parse_po(text: str) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") and obsolete ones (#~) included."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None  # what a continuation line extends

    def finish() -> None:
        nonlocal entry, target
        if entry is not None:
            if entry.msgid is None or not entry.msgstr:
                raise PoSyntaxError(f"line {entry.line}: an entry needs a msgid and a msgstr")
            plural = entry.msgid_plural is not None
            indexes = sorted(entry.msgstr, key=lambda i: -1 if i is None else i)
            if plural and indexes != list(range(len(indexes))):
                raise PoSyntaxError(f"{entry}: a plural entry needs msgstr[0], msgstr[1]...")
            if not plural and indexes != [None]:
                raise PoSyntaxError(f"{entry}: msgstr[n] without msgid_plural")
            entries.append(entry)
        entry, target = None, None

    def start(number: int, *, obsolete: bool) -> Entry:
        """The entry a comment, msgctxt or msgid line belongs to; a new one after a msgstr."""
        nonlocal entry
        if entry is not None and entry.msgstr:
            finish()
        if entry is None:
            entry = Entry(line=number)
        entry.obsolete = entry.obsolete or obsolete
        return entry

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # the previous msgid of an obsolete entry
                continue
        if not line:
            if not obsolete:
                finish()
            continue
        if line.startswith("#,"):
            flags = {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            start(number, obsolete=obsolete).flags |= flags
        elif line.startswith("#"):  # translator, extracted, reference and previous comments
            start(number, obsolete=obsolete)
        elif line.startswith('"'):
            if entry is None or target is None:
                raise PoSyntaxError(f"line {number}: a string continues nothing")
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += _unquote(line, number)
            else:
                setattr(entry, name, getattr(entry, name) + _unquote(line, number))
        else:
            match = _KEYWORD.fullmatch(line)
            if match is None:
                raise PoSyntaxError(f"line {number}: cannot read {raw!r}")
            name, index, value = match.group(1), match.group(2), _unquote(match.group(3), number)
            if name != "msgstr" and index is not None:
                raise PoSyntaxError(f"line {number}: only msgstr takes an index")
            if name in ("msgctxt", "msgid"):
                if entry is not None and (
                    entry.msgid is not None or (name == "msgctxt" and entry.msgctxt is not None)
                ):
                    finish()
                found = start(number, obsolete=obsolete)
                setattr(found, name, value)
                target = (name, None)
            elif entry is None or entry.msgid is None:
                raise PoSyntaxError(f"line {number}: {name} before msgid")
            elif name == "msgid_plural":
                if entry.msgid_plural is not None or entry.msgstr:
                    raise PoSyntaxError(f"line {number}: misplaced or repeated msgid_plural")
                entry.msgid_plural = value
                target = (name, None)
            else:
                position = None if index is None else int(index)
                if position in entry.msgstr:
                    raise PoSyntaxError(f"line {number}: repeated msgstr")
                entry.msgstr[position] = value
                target = ("msgstr", position)
    finish()
    seen: set[str] = set()
    for item in entries:
        if not item.obsolete:
            if item.key in seen:
                raise PoSyntaxError(f"{item}: the same msgid appears twice")
            seen.add(item.key)
    return entries


@cache
def french_catalogue() -> tuple[Entry, tuple[Entry, ...]]:
    """The French header and its live (not obsolete) entries."""
    entries = [e for e in parse_po(PO_PATH.read_text(encoding="utf-8")) if not e.obsolete]
    headers = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(headers) == 1, "the .po needs exactly one header entry"
    return headers[0], tuple(e for e in entries if e is not headers[0])


def header_fields(header: Entry) -> dict[str, str]:
    lines = header.msgstr[None].splitlines()
    return {name.strip(): value.strip() for name, _, value in (x.partition(":") for x in lines)}


# --- The parser itself ---------------------------------------------------------------------

SAMPLE_PO = r"""# A translator comment
msgid ""
msgstr ""
"Language: fr\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\n"

#: app/views.py:1
#, python-format
msgid ""
"A long %(name)s "
"message"
msgstr "Un long message %(name)s"

msgctxt "month"
msgid "May"
msgstr "mai"

msgid "Say \"hi\"\tthen\\go\n"
msgstr "Dites « bonjour »\tpuis\\partez\n"

#, fuzzy, python-format
#| msgid "One file"
msgid "%(count)s file"
msgid_plural "%(count)s files"
msgstr[0] "%(count)s fichier"
msgstr[1] ""
"%(count)s fichiers"

#~ msgid "Gone"
#~ msgstr "Parti"
"""


def test_it_parses_contexts_continuations_escapes_plurals_and_flags():
    header, long, may, escaped, plural, gone = parse_po(SAMPLE_PO)
    assert header.msgid == "" and header_fields(header)["Language"] == "fr"
    assert (long.msgid, long.msgstr, long.flags) == (
        "A long %(name)s message",
        {None: "Un long message %(name)s"},
        {"python-format"},
    )
    assert (may.msgctxt, may.msgid, may.key) == ("month", "May", "month\x04May")
    assert escaped.msgid == 'Say "hi"\tthen\\go\n'
    assert escaped.msgstr[None] == "Dites « bonjour »\tpuis\\partez\n"
    assert plural.msgid_plural == "%(count)s files"
    assert plural.forms == ["%(count)s fichier", "%(count)s fichiers"]
    assert plural.flags == {"fuzzy", "python-format"}
    assert (gone.obsolete, gone.msgid, gone.msgstr) == (True, "Gone", {None: "Parti"})


@pytest.mark.parametrize(
    "text",
    [
        'msgid "a"\n',  # no msgstr
        'msgid "a"\nmsgstr "b"\nmsgstr "c"\n',  # two msgstr
        'msgid "a"\nmsgstr[0] "b"\n',  # msgstr[n] without msgid_plural
        'msgid "a"\nmsgid_plural "as"\nmsgstr[1] "b"\n',  # no msgstr[0]
        'msgid "a"\nmsgstr "b\\q"\n',  # unknown escape
        'msgid "a"\nmsgstr "b"c"\n',  # stray quote
        '"stray"\n',  # continues nothing
        'msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\n',  # duplicate
    ],
)
def test_it_refuses_a_malformed_catalogue(text):
    with pytest.raises(PoSyntaxError):
        parse_po(text)


# --- The French catalogue ------------------------------------------------------------------


def test_it_has_a_filled_in_french_header():
    header, entries = french_catalogue()
    fields = header_fields(header)
    assert entries, "the French catalogue has no entries"
    assert "fuzzy" not in header.flags
    assert fields["Language"] == "fr"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=2; plural=(n > 1);"
    text = PO_PATH.read_text(encoding="utf-8")
    head = text[: text.index('msgid ""')] + header.msgstr[None]
    assert [noise for noise in TEMPLATE_NOISE if noise in head] == []
    assert "@" not in head, "the header names no one's e-mail address"


def test_it_leaves_no_entry_empty_or_fuzzy():
    _, entries = french_catalogue()
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    empty = [str(e) for e in entries if not all(form.strip() for form in e.forms)]
    assert (fuzzy, empty) == ([], []), "review fuzzy entries (then drop the flag); fill empty ones"
    wrong_forms = [str(e) for e in entries if e.msgid_plural is not None and len(e.forms) != 2]
    assert wrong_forms == [], "French has two plural forms"


def python_format(text: str) -> tuple[Counter, list[str]]:
    """The named placeholders (name and kind) and the kinds of the unnamed ones, in order."""
    named: Counter = Counter()
    unnamed: list[str] = []
    for name, conversion in PYTHON_FORMAT.findall(text):
        kind = CONVERSION_KINDS[conversion]
        if kind != "percent":
            if name:
                named[name, kind] += 1
            else:
                unnamed.append(kind)
    return named, unnamed


def test_it_keeps_every_placeholder_and_html_tag():
    _, entries = french_catalogue()
    broken = []
    for entry in entries:
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        for form in entry.forms:
            if Counter(HTML_TAG.findall(form)) != Counter(HTML_TAG.findall(entry.msgid)):
                broken.append(f"{entry}: HTML tags {HTML_TAG.findall(form)}")
            if "python-brace-format" in entry.flags:
                wanted = {p for source in sources for p in PYTHON_BRACE_FORMAT.findall(source)}
                if set(PYTHON_BRACE_FORMAT.findall(form)) - wanted:
                    broken.append(f"{entry}: {{}} placeholders {PYTHON_BRACE_FORMAT.findall(form)}")
            if "python-format" not in entry.flags:
                continue
            named, unnamed = python_format(form)
            if entry.msgid_plural is None:
                ok = (named, unnamed) == python_format(entry.msgid)
            else:  # a form may leave out the count, as "one file" does
                wanted = {key for source in sources for key in python_format(source)[0]}
                ok = set(named) <= wanted and any(unnamed == python_format(s)[1] for s in sources)
            if not ok:
                broken.append(f"{entry}: % placeholders {PYTHON_FORMAT.findall(form)}")
    assert broken == []


def test_it_ships_a_mo_compiled_from_the_current_po():
    header, entries = french_catalogue()
    with MO_PATH.open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    catalogue = dict(compiled._catalog)
    # msgfmt may leave out the POT-Creation-Date, which makemessages changes on every run.
    mo_header = header_fields(Entry(line=0, msgid="", msgstr={None: catalogue.pop("")}))
    po_header = header_fields(header)
    for fields in (mo_header, po_header):
        fields.pop("POT-Creation-Date", None)
    assert mo_header == po_header, "django.mo is stale: run `manage.py compilemessages`"
    expected: dict[str | tuple[str, int], str] = {}
    for entry in entries:
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr[None]
        else:
            expected.update({(entry.key, n): form for n, form in enumerate(entry.forms)})
    missing = sorted(str(key) for key in expected.keys() - catalogue.keys())
    extra = sorted(str(key) for key in catalogue.keys() - expected.keys())
    both = expected.keys() & catalogue.keys()
    changed = sorted(str(key) for key in both if catalogue[key] != expected[key])
    assert (missing, extra, changed) == ([], [], []), (
        "django.mo is stale: run `manage.py compilemessages --locale fr`"
    )
    assert compiled.info()["language"] == "fr"
    assert [compiled.plural(n) for n in (0, 1, 2, 10)] == [0, 0, 1, 1]


# --- Django, in French ---------------------------------------------------------------------


def test_it_speaks_french_through_django():
    # Through variables: a literal in gettext() here would land in the catalogue itself.
    known = {
        "Skip to main content": "Aller au contenu principal",
        "Two-factor authentication": "Authentification à deux facteurs",
    }
    with translation.override("fr"):
        assert {english: translation.gettext(english) for english in known} == known
        assert str(Role.AGENCY_ADMIN.label) == "Administrateur d’agence"
        assert str(Role.COUNCIL.label) == "Membre du Conseil des DSI"
        template = Template(
            "{% load i18n %}{% translate 'Sign out' %} · "
            "{% blocktranslate with name='Awa' %}Welcome, {{ name }}{% endblocktranslate %}"
        )
        assert template.render(Context()) == "Se déconnecter · Bienvenue, Awa"
    with translation.override("en"):
        assert [translation.gettext(english) for english in known] == list(known)


def test_it_gives_django_every_french_translation_of_the_catalogue():
    """The project's catalogue wins over Django's and allauth's for every one of its msgids."""
    _, entries = french_catalogue()
    wrong = []
    with translation.override("fr"):
        for entry in entries:
            if entry.msgid_plural is None:
                got = (
                    [translation.pgettext(entry.msgctxt, entry.msgid)]
                    if entry.msgctxt is not None
                    else [translation.gettext(entry.msgid)]
                )
            elif entry.msgctxt is None:
                got = [translation.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
            else:
                got = [
                    translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                    for n in (1, 2)
                ]
            if got != entry.forms:
                wrong.append(f"{entry}: {got!r}")
    assert wrong == []
