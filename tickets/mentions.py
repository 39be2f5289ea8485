"""`@name` in an internal note: who it names, and whether they may read the note.

A colleague is named by the part of their e-mail address before the @ (`@j.doe` for
j.doe@mof.gov.lr), or by the whole address where two people share that part. Only the staff of
the agencies that hold or held the ticket can be named: they are the ones who read its notes.
"""

import re

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import staff_of_agency_q
from tickets.models import Ticket, TicketTransfer

# Not right after a letter, digit, dot or @, so that an e-mail address in the text
# (name@agency.gov) is not read as a mention of "agency.gov".
_MENTION = re.compile(
    r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._+-]*(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)"
)
MAX_MENTIONS = 20


def mention_names(body: str) -> list[str]:
    """The names mentioned, lower-cased, in their order, each once; a trailing full stop or
    comma belongs to the sentence, not the name."""
    names: list[str] = []
    for match in _MENTION.finditer(body):
        name = match.group(1).rstrip(".,;:-").lower()
        if name and name not in names:
            names.append(name)
    return names


def ticket_agency_ids(ticket: Ticket) -> set[int]:
    """The agency handling the ticket and every agency that handled it before."""
    moves = TicketTransfer.objects.filter(ticket=ticket).values_list("from_agency", "to_agency")
    return {ticket.agency_id, *(agency for pair in moves for agency in pair)}


def mentions_resolve(ticket: Ticket, body: str) -> list[User]:
    """The colleagues the note names; ValidationError on the body naming each name that is
    nobody's, several people's, or someone outside the ticket's agencies."""
    names = mention_names(body)
    if not names:
        return []
    if len(names) > MAX_MENTIONS:
        message = _("Mention at most %(count)d colleagues in one note.")
        raise ValidationError({"body": message % {"count": MAX_MENTIONS}})
    staff = Q()
    for agency_id in ticket_agency_ids(ticket):
        staff |= staff_of_agency_q(agency_id, prefix="memberships__")
    by_address = Q(email__iexact="")
    for name in names:
        by_address |= Q(email__iexact=name) if "@" in name else Q(email__istartswith=f"{name}@")
    candidates = list(
        User.objects.filter(staff, by_address, is_active=True).distinct().order_by("pk")
    )
    found: list[User] = []
    problems: list[str] = []
    for name in names:
        if "@" in name:
            matches = [user for user in candidates if user.email.lower() == name]
        else:
            matches = [user for user in candidates if user.email.lower().split("@")[0] == name]
        if not matches:
            problems.append(
                _(
                    "@%(name)s is not staff of an agency that handles or handled this ticket: "
                    "only they can read its notes."
                )
                % {"name": name}
            )
        elif len(matches) > 1:
            problems.append(
                _("@%(name)s names several people: write the whole address, such as @%(email)s.")
                % {"name": name, "email": matches[0].email}
            )
        elif matches[0] not in found:
            found.append(matches[0])
    if problems:
        raise ValidationError({"body": problems})
    return found
