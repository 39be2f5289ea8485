"""The USSD menu at the desk's short code, driven by the answers so far.

The gateway sends every answer of the session each time (`1*2*printer broken`), so the menu
keeps no state of its own between screens; only what a session did (the ticket it opened,
the reply it added) is recorded, so that a callback sent twice does it once.

    (start)  1 report a problem -> a numbered list of services -> a short description -> END
             2 my open tickets (the latest three, with status and due time) -> END
             3 reply to my latest ticket -> the reply -> END
             4 status of government services (open outages) -> END

Every screen fits 182 characters, in the person's language; an unknown number gets one END.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from channels import selectors
from channels.gateways import UssdRequest, UssdScreen
from channels.limits import rate_allow
from channels.models import PhoneNumber, UssdSession
from channels.outbound import sms_queue
from incidents.selectors import status_page
from tickets.models import Category, Ticket
from tickets.services import ticket_create, ticket_reply

SCREEN_LIMIT = 182
MAX_SERVICES = 6
SERVICE_NAME_LENGTH = 28


def _screen(text: str, *, more: bool) -> UssdScreen:
    text = text.strip()
    if len(text) > SCREEN_LIMIT:
        text = text[: SCREEN_LIMIT - 1].rstrip() + "…"
    return UssdScreen(text, more)


def _end(text: str) -> UssdScreen:
    return _screen(text, more=False)


def _no_such_option() -> UssdScreen:
    return _end(_("That option does not exist. Dial again and choose a number from the menu."))


def ussd_answer(*, gateway: str, request: UssdRequest) -> UssdScreen:
    number = selectors.phone_sender_normalise(request.phone)
    phone = selectors.phone_confirmed_owner(number)
    language = phone.user.language if phone else settings.LANGUAGE_CODE
    with translation.override(language):
        if not rate_allow("ussd", number, settings.USSD_RATE_PER_NUMBER):
            return _end(_("Too many requests from this number. Try again later."))
        if phone is None:
            return _end(
                _(
                    "GovDesk does not know this number. Add it to your profile on the GovDesk "
                    "website, confirm it, then dial again."
                )
            )
        return _menu(gateway, request, phone)


def _menu(gateway: str, request: UssdRequest, phone: PhoneNumber) -> UssdScreen:
    answers = request.answers
    if not answers:
        return _screen(
            _(
                "GovDesk\n1. Report a problem\n2. My open tickets\n3. Reply to my latest ticket"
                "\n4. Status of government services"
            ),
            more=True,
        )
    choice, rest = answers[0].strip(), answers[1:]
    if choice == "1":
        return _report(gateway, request.session_id, phone, rest)
    if choice == "2" and not rest:
        return _open_tickets(phone)
    if choice == "3":
        return _reply(gateway, request.session_id, phone, rest)
    if choice == "4" and not rest:
        return _services_status()
    return _no_such_option()


def _services(phone: PhoneNumber) -> list[Category]:
    membership = selectors.membership_for_phone(phone.user)
    agency_id = membership.agency_id if membership else None
    categories = list(selectors.categories_for_phone(membership))
    categories.sort(key=lambda c: (c.agency_id != agency_id, c.parent_id is not None, c.name))
    return categories[:MAX_SERVICES]


def _short(name: str, length: int = SERVICE_NAME_LENGTH) -> str:
    return name if len(name) <= length else name[: length - 1].rstrip() + "…"


def _report(gateway: str, session_id: str, phone: PhoneNumber, rest: list[str]) -> UssdScreen:
    services = _services(phone)
    if not services:
        return _end(_("There is no service you can report under. Use the GovDesk website."))
    if not rest:
        lines = [_("Which service?")]
        for number, category in enumerate(services, start=1):
            line = f"{number}. {_short(category.name)}"
            if len("\n".join([*lines, line])) > SCREEN_LIMIT:
                break
            lines.append(line)
        return _screen("\n".join(lines), more=True)
    chosen = rest[0].strip()
    if not chosen.isdigit() or not 1 <= int(chosen) <= len(services):
        return _no_such_option()
    category = services[int(chosen) - 1]
    if len(rest) == 1:
        return _screen(_("Describe the problem in a few words:"), more=True)
    # A description may itself hold a *, which the gateway also uses between answers.
    description = "*".join(rest[1:]).strip()
    if not description:
        return _end(_("Nothing was reported: the description was empty. Dial again."))
    return _report_create(gateway, session_id, phone, category, description)


def _session_start(gateway: str, session_id: str, phone: PhoneNumber) -> UssdSession | None:
    """The session's record, new; None when this session already did its work."""
    try:
        with transaction.atomic():
            return UssdSession.objects.create(
                gateway=gateway, session_id=session_id, phone=phone, created_at=timezone.now()
            )
    except IntegrityError:
        return None


def _report_create(
    gateway: str, session_id: str, phone: PhoneNumber, category: Category, description: str
) -> UssdScreen:
    user = phone.user
    with transaction.atomic():
        session = _session_start(gateway, session_id, phone)
        if session is None:
            done = UssdSession.objects.filter(gateway=gateway, session_id=session_id).first()
            ticket = done.ticket if done else None
        else:
            membership = selectors.membership_for_phone(user)
            try:
                with transaction.atomic():
                    ticket = ticket_create(
                        requester=user,
                        requester_agency=membership.agency if membership else None,
                        category=category,
                        subject=_subject(description),
                        description=description[: settings.SMS_MAX_TEXT],
                        impact=category.default_impact,
                        urgency=category.default_urgency,
                        channel=Ticket.Channel.USSD,
                    )
            except ValidationError as error:
                session.delete()
                return _end(" ".join(error.messages))
            session.ticket = ticket
            session.save(update_fields=["ticket"])
            sms_queue(
                to=phone.number,
                text=_("GovDesk: we received your report. Your reference is %(reference)s.")
                % {"reference": ticket.reference},
                recipient=user,
                ticket=ticket,
                dedupe_key=f"ussd:{gateway}:{session.pk}:reference",
            )
    if ticket is None:
        return _end(_("Nothing was reported. Dial again."))
    return _end(
        _("Reported. Your reference is %(reference)s. We have sent it to you by SMS.")
        % {"reference": ticket.reference}
    )


def _subject(description: str) -> str:
    line = " ".join(description.split())
    return line if len(line) <= 80 else line[:79].rstrip() + "…"


def _due(ticket: Ticket) -> str:
    if ticket.resolution_due_at is None:
        return ""
    return timezone.localtime(ticket.resolution_due_at).strftime("%d/%m %H:%M")


def _open_tickets(phone: PhoneNumber) -> UssdScreen:
    tickets = selectors.tickets_open_for_phone(phone.user)
    if not tickets:
        return _end(_("You have no open tickets."))
    lines = []
    for ticket in tickets:
        due = _due(ticket)
        status = ticket.get_status_display()
        if due:
            lines.append(
                _("%(reference)s %(status)s, due %(due)s")
                % {"reference": ticket.reference, "status": status, "due": due}
            )
        else:
            lines.append(f"{ticket.reference} {status}")
    return _end("\n".join(lines))


def _reply(gateway: str, session_id: str, phone: PhoneNumber, rest: list[str]) -> UssdScreen:
    ticket = selectors.ticket_latest_for_phone_reply(phone.user)
    if ticket is None:
        return _end(_("You have no ticket to reply to."))
    if not rest:
        return _screen(
            _("Reply to %(reference)s (%(subject)s):")
            % {"reference": ticket.reference, "subject": _short(ticket.subject, 60)},
            more=True,
        )
    body = "*".join(rest).strip()
    if not body:
        return _end(_("Nothing was sent: the reply was empty. Dial again."))
    with transaction.atomic():
        session = _session_start(gateway, session_id, phone)
        if session is not None:
            try:
                with transaction.atomic():
                    ticket_reply(
                        ticket=ticket, author=phone.user, body=body[: settings.SMS_MAX_TEXT]
                    )
            except ValidationError as error:
                session.delete()
                return _end(" ".join(error.messages))
            session.ticket = ticket
            session.save(update_fields=["ticket"])
    return _end(_("Your reply was added to %(reference)s.") % {"reference": ticket.reference})


def _services_status() -> UssdScreen:
    page = status_page()
    troubled = [s for s in page.services if s.state != s.service.State.OPERATIONAL]
    if not troubled and not page.open_incidents:
        return _end(_("All government services are working normally."))
    lines = [f"{_short(s.service.name, 30)}: {s.state_label}" for s in troubled]
    if not lines:
        lines = [_short(i.subject, 60) for i in page.open_incidents]
    return _end("\n".join([_("Services with problems:"), *lines]))
