"""Secrets and identifiers in ticket text, hidden on display from all but the handling agents.

The patterns are the installation's (settings.PRIVACY_SECRET_PATTERNS); what they match is
replaced before the text is shown, so it never reaches the page or the API's answer. The
web's template filter (privacy_masking) and the API's serializers both use `secrets_mask`.
"""

import re
from functools import cache

from django.conf import settings
from django.utils.translation import gettext as _


@cache
def _compiled(patterns: tuple[tuple[str, str], ...]) -> list[tuple[str, re.Pattern]]:
    return [(name, re.compile(pattern)) for name, pattern in patterns]


def secret_patterns() -> list[tuple[str, re.Pattern]]:
    return _compiled(tuple(tuple(entry) for entry in settings.PRIVACY_SECRET_PATTERNS))


def secrets_mask(text: str) -> str:
    """The text with every match of a secret pattern replaced by a note of what was hidden."""
    if not text:
        return text
    for name, pattern in secret_patterns():
        text = pattern.sub(lambda _m, name=name: _("[hidden: %(kind)s]") % {"kind": name}, text)
    return text
