"""Reads of channels that cross a permission line: who owns a number, which ticket a
phone may reply to, what a phone's owner may report under and follow."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from accounts.selectors import memberships_usable_by
from channels.models import PhoneNumber
from tickets import selectors as ticket_selectors
from tickets.category_selectors import categories_to_report_under
from tickets.models import Category, Ticket

# The catalogue's catch-all service, chosen for a text that names none.
OTHER_CATEGORY_SLUG = "other"


def phone_normalise(raw: str) -> str:
    """The number in E.164 (+ and digits) if it is a valid mobile number; ValidationError
    otherwise. Without a leading + it is read in SMS_DEFAULT_REGION, if set."""
    raw = (raw or "").strip()
    if not raw or len(raw) > 32:
        raise ValidationError({"number": _("Enter a mobile number such as +254711000000.")})
    try:
        parsed = phonenumbers.parse(raw, settings.SMS_DEFAULT_REGION or None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            {"number": _("Enter a mobile number such as +254711000000.")}
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError({"number": _("This is not a valid phone number.")})
    mobile = {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }
    if phonenumbers.number_type(parsed) not in mobile:
        raise ValidationError({"number": _("Enter a mobile number: this one cannot get SMS.")})
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_sender_normalise(raw: str) -> str:
    """A gateway's sender as E.164 when it reads as a number, else as given (trimmed): an
    unknown sender is matched to nobody either way."""
    try:
        parsed = phonenumbers.parse(raw, settings.SMS_DEFAULT_REGION or None)
    except phonenumbers.NumberParseException:
        return raw.strip()[:32]
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_of(user: User) -> PhoneNumber | None:
    return PhoneNumber.objects.filter(user=user).first()


def phone_confirmed_owner(number: str) -> PhoneNumber | None:
    """The confirmed number with its active owner, or None: only confirmed numbers match."""
    return (
        PhoneNumber.objects.select_related("user")
        .filter(number=number, confirmed_at__isnull=False, user__is_active=True)
        .first()
    )


def phone_waits_for_confirmation(number: str) -> bool:
    return PhoneNumber.objects.filter(number=number, confirmed_at__isnull=True).exists()


def membership_for_phone(user: User) -> Membership | None:
    """The membership a person acts under from a phone: their first usable one with an
    agency (the one they report for), else their first."""
    memberships = list(memberships_usable_by(user))
    with_agency = [m for m in memberships if m.agency_id]
    return (with_agency or memberships or [None])[0]


def categories_for_phone(membership: Membership | None) -> QuerySet[Category]:
    """The services a phone's owner may report under, their own agency's first: the same rule
    as the web's."""
    return categories_to_report_under(membership)


def category_for_sms(membership: Membership | None) -> Category | None:
    """A text names no service: the catalogue's "other" if this person may use it, else the
    first of their own agency's services, else the first government-wide one."""
    categories = list(categories_for_phone(membership))
    for category in categories:
        if category.slug == OTHER_CATEGORY_SLUG:
            return category
    agency_id = membership.agency_id if membership else None
    categories.sort(key=lambda c: (c.agency_id != agency_id, c.parent_id is not None, c.name))
    return categories[0] if categories else None


def ticket_for_phone_reply(user: User, reference: str) -> tuple[Ticket | None, bool]:
    """The ticket `reference` if its owner may reply to it by phone, and whether they reply
    as its agent; (None, False) for missing and forbidden alike."""
    found = None
    for membership in list(memberships_usable_by(user)) or [None]:
        try:
            ticket = ticket_selectors.ticket_get_for_user(user, membership, reference)
        except Http404:
            continue
        if ticket_selectors.user_works_ticket(membership, ticket):
            return ticket, True
        found = found or ticket
    if found is None or found.is_major_incident:
        return None, False
    # Seeing a ticket their agency transferred away is not a right to answer on it.
    is_party = found.requester_id == user.pk or found.watchers.filter(pk=user.pk).exists()
    return (found, False) if is_party else (None, False)


def tickets_open_for_phone(user: User, limit: int = 3) -> list[Ticket]:
    """The person's own latest open tickets."""
    return list(
        ticket_selectors.tickets_followed_by(user)
        .filter(requester=user)
        .open()
        .order_by("-created_at")[:limit]
    )


def ticket_latest_for_phone_reply(user: User) -> Ticket | None:
    """The person's latest ticket that still takes a reply (not closed)."""
    return (
        ticket_selectors.tickets_followed_by(user)
        .filter(requester=user, kind=Ticket.Kind.INCIDENT)
        .exclude(status=Ticket.Status.CLOSED)
        .order_by("-created_at")
        .first()
    )
