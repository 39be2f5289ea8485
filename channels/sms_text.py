"""How long a text message is, in the segments a phone network bills and joins.

A text in the GSM 7-bit alphabet fits 160 characters in one segment and 153 per segment once
it is split (the rest of each segment says how to join them); the characters of the
extension table count twice. Any other character sends the whole text as UCS-2: 70 in one
segment, 67 per segment once split. Pure: no Django, no database.
"""

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")
MAX_SEGMENTS = 3
ELLIPSIS_GSM = "..."


def is_gsm(text: str) -> bool:
    return all(char in GSM_BASIC or char in GSM_EXTENDED for char in text)


def _units(text: str) -> int:
    """Septets for a GSM text, UTF-16 code units for any other."""
    if is_gsm(text):
        return sum(2 if char in GSM_EXTENDED else 1 for char in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    units = _units(text)
    single, split = (160, 153) if is_gsm(text) else (70, 67)
    if units <= single:
        return 1
    return -(-units // split)


def fits(text: str, max_segments: int = MAX_SEGMENTS) -> bool:
    return segments(text) <= max_segments


def fit(text: str, max_segments: int = MAX_SEGMENTS, *, keep_end: str = "") -> str:
    """`text` cut, with an ellipsis, so that `text + keep_end` fits in `max_segments`."""
    whole = text + keep_end
    if fits(whole, max_segments):
        return whole
    ellipsis = ELLIPSIS_GSM if is_gsm(whole) else "…"
    low, high = 0, len(text)
    # The longest prefix that fits: segments() grows with the prefix, so halving finds it.
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + ellipsis + keep_end, max_segments):
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ellipsis + keep_end
