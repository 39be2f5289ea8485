"""Markdown for ticket bodies and knowledge articles: CommonMark by markdown-it-py, then nh3.

Two profiles share one pipeline:

- a ticket body (`render_markdown`): paragraphs, line breaks, emphasis, code, lists, quotes and
  links, with bare http(s) addresses made into links. No headings, images or tables: a body
  is a message, and someone's pasted "# 1" is not a title.
- an article (`render_article_markdown`): the same plus headings (from level 2, the page has
  its own h1), tables, rules and images served by GovDesk itself. An image from another site
  is dropped, so that reading an article tells no other site who read it.

Raw HTML in the text is never passed through (markdown-it's `html` option is off, so it is
shown as text), and the result goes through nh3 all the same, so neither a parser's mistake
nor a crafted link can put script, an event handler or a `javascript:` address on the page.
markdown-it's parser is linear in the text, so a body of 20,000 pasted characters stays fast.
"""

import re
from functools import cache
from urllib.parse import urlsplit

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "a", "blockquote",
}  # fmt: skip
ARTICLE_TAGS = ALLOWED_TAGS | {
    "h2", "h3", "h4", "hr", "img", "table", "thead", "tbody", "tr", "th", "td", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
ARTICLE_ATTRIBUTES = {**ALLOWED_ATTRIBUTES, "img": {"src", "alt"}}
LINK_REL = "nofollow noopener noreferrer"
URL_SCHEMES = {"http", "https", "mailto"}

# C0 controls other than tab and newline, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}*_"
_BETWEEN_TAGS = re.compile(r">\n+(?=<)")


def _trim_url(url: str) -> str:
    """Leaves out the punctuation that ends a sentence, and a closing bracket around a link."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


_SCHEME_BEFORE = re.compile(r"(?:^|[^a-z0-9.+-])(https?)$", re.IGNORECASE)


def _bare_address(state: StateInline, silent: bool) -> bool:
    """An http(s) address written as plain text, as a link: an inline rule, so that the
    asterisks and underscores inside an address are not read as emphasis."""
    pos = state.pos
    if state.linkLevel > 0 or not state.src.startswith("://", pos):
        return False
    scheme = _SCHEME_BEFORE.search(state.pending)
    if scheme is None:
        return False
    start = pos - len(scheme.group(1))
    match = _URL.match(state.src, start, state.posMax)
    if match is None:
        return False
    url = _trim_url(match.group(0))
    if len(url) <= len(scheme.group(1)) + len("://"):
        return False
    if not silent:
        state.pending = state.pending[: -len(scheme.group(1))]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": state.md.normalizeLink(url)}
        token = state.push("text", "", 0)
        token.content = url
        state.push("link_close", "a", -1)
    state.pos = start + len(url)
    return True


@cache
def _parser(*, article: bool) -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True})
    if article:
        parser.enable(["table", "strikethrough"])
    else:
        parser.disable(["heading", "lheading", "image", "hr"])
    parser.inline.ruler.before("linkify", "bare_address", _bare_address)
    return parser


def _same_site_images(tag: str, attribute: str, value: str) -> str | None:
    """Keeps an image only when GovDesk serves it: a path on this site, not another host."""
    if tag == "img" and attribute == "src":
        parts = urlsplit(value)
        if parts.scheme or parts.netloc or not value.startswith("/"):
            return None
    return value


def _heading_down(html: str) -> str:
    # The article page has its own h1: the text's headings start at h2.
    return re.sub(r"<(/?)h([1-5])>", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}>", html)


def _source(text: str) -> str:
    return _CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip("\n")


def render_markdown_html(text: str) -> str:
    """The HTML for a ticket body, before sanitising."""
    source = _source(text)
    if not source.strip():
        return ""
    return _BETWEEN_TAGS.sub(">", _parser(article=False).render(source)).strip()


def render_markdown(text: str) -> SafeString:
    """A ticket body as safe HTML, ready for a template."""
    html = nh3.clean(
        render_markdown_html(text or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        link_rel=LINK_REL,
        url_schemes=URL_SCHEMES,
    )
    return mark_safe(html)  # noqa: S308 - no raw HTML parsed, then sanitised by nh3


def render_article_markdown(text: str) -> SafeString:
    """An article's body as safe HTML: a ticket body's formatting plus headings, tables and
    images from GovDesk itself."""
    source = _source(text)
    if not source.strip():
        return mark_safe("")
    html = _heading_down(_parser(article=True).render(source))
    html = nh3.clean(
        _BETWEEN_TAGS.sub(">", html).strip(),
        tags=ARTICLE_TAGS,
        attributes=ARTICLE_ATTRIBUTES,
        attribute_filter=_same_site_images,
        link_rel=LINK_REL,
        url_schemes=URL_SCHEMES,
    )
    return mark_safe(html)  # noqa: S308 - no raw HTML parsed, then sanitised by nh3
