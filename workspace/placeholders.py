"""Placeholders in canned responses: a fixed list, filled in as plain text.

Responses are written by people, so they are never run through a template engine: only the
names below are known, each is replaced by a value read from the ticket, and anything else
between double braces is refused when the response is saved.
"""

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.models import Ticket

PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")


def _first_name(user: User) -> str:
    return user.get_short_name()


# name -> value read from (ticket, agent)
PLACEHOLDERS: dict[str, Callable[[Ticket, User], str]] = {
    "requester.first_name": lambda ticket, agent: _first_name(ticket.requester),
    "requester.name": lambda ticket, agent: ticket.requester.get_full_name(),
    "ticket.reference": lambda ticket, agent: ticket.reference,
    "ticket.subject": lambda ticket, agent: ticket.subject,
    "agent.name": lambda ticket, agent: agent.get_full_name(),
    "agent.first_name": lambda ticket, agent: _first_name(agent),
    "agency.name": lambda ticket, agent: ticket.agency.name,
}


def placeholders_unknown(text: str) -> list[str]:
    """The names between double braces that are not placeholders, in order, once each."""
    unknown: list[str] = []
    for name in PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    return unknown


def placeholders_check(text: str, field: str) -> None:
    unknown = placeholders_unknown(text)
    if unknown:
        raise ValidationError(
            {
                field: _("Unknown placeholder: %(names)s. Use one of: %(known)s.")
                % {
                    "names": ", ".join(f"{{{{ {name} }}}}" for name in unknown),
                    "known": ", ".join(f"{{{{ {name} }}}}" for name in PLACEHOLDERS),
                }
            }
        )


def placeholders_fill(text: str, *, ticket: Ticket, agent: User) -> str:
    """The text with every known placeholder replaced by its value, as plain text."""

    def value(match: re.Match) -> str:
        read = PLACEHOLDERS.get(match.group(1))
        return read(ticket, agent) if read else match.group(0)

    return PLACEHOLDER.sub(value, text)
