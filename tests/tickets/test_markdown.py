"""Ticket bodies: CommonMark, never a way to put markup on the page."""

import time
from html.parser import HTMLParser

import pytest

from tickets.markdown import render_markdown


def _elements(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every start tag of the HTML, as a browser's parser reads it, with its attributes."""
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_it_makes_paragraphs_and_line_breaks():
    html = render_markdown("First line\nsecond line\n\nNew paragraph")
    assert html == "<p>First line<br>\nsecond line</p><p>New paragraph</p>"


def test_it_formats_bold_italic_and_code():
    html = render_markdown("**Urgent**: the *printer* shows `E-042`")
    assert html == ("<p><strong>Urgent</strong>: the <em>printer</em> shows <code>E-042</code></p>")


def test_it_makes_bullet_lists_after_a_paragraph():
    html = render_markdown("Steps:\n- switch it off\n- switch it on\n\nStill broken.")
    assert html == (
        "<p>Steps:</p><ul><li>switch it off</li><li>switch it on</li></ul><p>Still broken.</p>"
    )


def test_it_numbers_lists_and_quotes():
    html = render_markdown("3. third\n4. fourth\n\n> quoted")
    assert html == (
        '<ol start="3"><li>third</li><li>fourth</li></ol><blockquote><p>quoted</p></blockquote>'
    )


def test_it_writes_headings_and_images_as_text():
    html = render_markdown("# Not a title\n\n![pixel](https://tracker.test/p.png)")
    assert "<h1" not in html and "<img" not in html
    assert "# Not a title" in html


def test_it_links_web_addresses_without_the_sentence_punctuation():
    html = render_markdown("See https://status.gov.test/mail?x=1&y=2.")
    assert html == (
        '<p>See <a href="https://status.gov.test/mail?x=1&amp;y=2" '
        'rel="nofollow noopener noreferrer">https://status.gov.test/mail?x=1&amp;y=2</a>.</p>'
    )


def test_it_keeps_brackets_that_belong_to_an_address():
    html = render_markdown("(https://wiki.test/Foo_(bar))")
    assert 'href="https://wiki.test/Foo_(bar)"' in html
    assert html.endswith("</a>)</p>")


def test_it_leaves_asterisks_inside_addresses_and_code_alone():
    html = render_markdown("https://x.test/a*b*c and `**not bold**`")
    assert "<em>" not in html and "<strong>" not in html
    assert "<code>**not bold**</code>" in html


def test_it_leaves_spaced_arithmetic_alone():
    assert render_markdown("2 * 3 * 4 = 24") == "<p>2 * 3 * 4 = 24</p>"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<a href='javascript:alert(1)'>click</a>",
        "**<b onmouseover=alert(1)>x</b>**",
        "`</code><script>alert(1)</script>`",
        'https://x.test/"onmouseover="alert(1)',
        "<svg/onload=alert(1)>",
        "[click](javascript:alert(1))",
        '[x](https://x.test/ "a" onmouseover="alert(1)")',
    ],
)
def test_it_escapes_markup_people_type(text):
    html = render_markdown(text)
    elements = _elements(html)
    assert {tag for tag, _ in elements} <= {"p", "a", "strong", "em", "code"}
    assert {name for _, attributes in elements for name, _ in attributes} <= {"href", "rel"}
    assert all(
        value.startswith("https://")
        for _, attributes in elements
        for n, value in attributes
        if n == "href"
    )


def test_it_only_links_web_addresses():
    html = render_markdown("javascript:alert(1) data:text/html,x ftp://files.test")
    assert "<a" not in html


def test_it_drops_control_characters():
    assert render_markdown("bell\x07 and null\x00 here") == "<p>bell and null here</p>"


def test_it_renders_nothing_for_an_empty_body():
    assert render_markdown("") == ""
    assert render_markdown("\n\n  \n") == ""


@pytest.mark.parametrize(
    "text",
    ["*" * 20000, "**a" * 6000, "*a " * 6000, "https://" + "(" * 19000, "`" * 20000, "- " * 9000],
)
def test_it_renders_pathological_bodies_quickly(text):
    started = time.perf_counter()
    render_markdown(text)
    assert time.perf_counter() - started < 1
