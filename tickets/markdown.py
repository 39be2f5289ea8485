"""Light formatting for ticket bodies: plain text with a little Markdown.

Paragraphs (blank lines), line breaks, **bold**, *italic*, `code`, bullet lists ("- " or "* "
at the start of a line) and http(s) addresses made into links. Nothing else: no raw HTML, no
images, no headings. The text is escaped before any tag is added, and the result goes through
nh3 all the same, so a mistake in the patterns below cannot let markup through.

Every pattern is linear in the length of the text (no nested quantifiers over the same
characters), since a body may be 20,000 characters of whatever someone pasted.
"""

import re
from html import escape

import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "ul", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_REL = "nofollow noopener noreferrer"
URL_SCHEMES = {"http", "https", "mailto"}

# C0 controls other than tab and newline, DEL, and the placeholder marker used below.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_BULLET = re.compile(r"^ {0,3}[-*] +(?=\S)")
_CODE = re.compile(r"`([^`\n]+)`")
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}"
_BOLD = re.compile(r"\*\*(?=[^*\s])([^*]*[^*\s])\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?=[^*\s])([^*]*[^*\s])\*(?![*\w])")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")


def _trim_url(url: str) -> str:
    """Leaves out the punctuation that ends a sentence, and a closing bracket around a link."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _inline(line: str) -> str:
    """One line of text as escaped HTML with code, links, bold and italic."""
    pieces: list[str] = []

    def keep(html: str) -> str:
        pieces.append(html)
        return f"\x00{len(pieces) - 1}\x00"

    # Code first, so that nothing inside it is formatted; then links, so that the asterisks
    # and underscores of an address stay as they are.
    line = _CODE.sub(lambda m: keep(f"<code>{escape(m.group(1))}</code>"), line)

    def link(match: re.Match) -> str:
        url = _trim_url(match.group(0))
        if len(url) <= url.index("://") + len("://"):
            return match.group(0)
        rest = match.group(0)[len(url) :]
        return keep(f'<a href="{escape(url)}">{escape(url)}</a>') + rest

    line = _URL.sub(link, line)
    line = escape(line)
    line = _BOLD.sub(r"<strong>\1</strong>", line)
    line = _ITALIC.sub(r"<em>\1</em>", line)
    return _PLACEHOLDER.sub(lambda m: pieces[int(m.group(1))], line)


def _block(block: str) -> str:
    """A block between blank lines: runs of bullet lines become lists, the rest paragraphs."""
    html: list[str] = []
    run: list[str] = []
    run_is_list = False

    def flush() -> None:
        if not run:
            return
        if run_is_list:
            items = "".join(f"<li>{_inline(item)}</li>" for item in run)
            html.append(f"<ul>{items}</ul>")
        else:
            html.append("<p>" + "<br>".join(_inline(text) for text in run) + "</p>")
        run.clear()

    for line in block.split("\n"):
        bullet = _BULLET.match(line)
        if bullet is not None:
            if not run_is_list:
                flush()
                run_is_list = True
            run.append(line[bullet.end() :].rstrip())
        else:
            if run_is_list:
                flush()
                run_is_list = False
            run.append(line.strip())
    flush()
    return "".join(html)


def render_markdown_html(text: str) -> str:
    """The HTML for a body, before sanitising."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")
    blocks = [b for b in _BLANK_LINES.split(text) if b.strip()]
    return "".join(_block(block) for block in blocks)


def render_markdown(text: str) -> SafeString:
    """A ticket body as safe HTML, ready for a template."""
    html = nh3.clean(
        render_markdown_html(text or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        link_rel=LINK_REL,
        url_schemes=URL_SCHEMES,
    )
    return mark_safe(html)  # noqa: S308 - escaped above, then sanitised by nh3
