"""Every write of satisfaction: the question asked at each resolution, its one answer, and
what a bad answer sets off.

The link in the resolution e-mail carries a token signed with the site's key
(django.core.signing) naming the ticket and the resolution (its status event). It answers for
that resolution only, for SATISFACTION_LINK_DAYS days, and only while that resolution stands:
once the ticket is reopened, the next resolution asks again with a new link.
"""

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import admins_of_agency_q
from mail.models import Outbox
from mail.services import outbox_queue_delivery
from satisfaction.models import COMMENT_MAX_LENGTH, Survey
from tickets.events import event_record
from tickets.models import Ticket, TicketEvent, TicketHolding

TOKEN_SALT = "satisfaction.survey"  # noqa: S105 - a signing purpose, not a secret
Rating = Survey.Rating


class SurveyRefused(ValidationError):
    """A link or an answer that cannot be taken: expired, altered, superseded, or answered."""


class SurveyLinkExpired(SurveyRefused):
    """A genuine link, older than SATISFACTION_LINK_DAYS."""


def _link_max_age() -> int:
    return settings.SATISFACTION_LINK_DAYS * 24 * 60 * 60


def survey_token(event: TicketEvent) -> str:
    """The signed token of a resolution: the ticket's id and the resolving event's id."""
    return _token(event.ticket_id, event.pk)


def survey_token_of(survey: Survey) -> str:
    return _token(survey.ticket_id, survey.resolution_id)


def _token(ticket_id: int, event_id: int) -> str:
    return signing.dumps({"t": ticket_id, "e": event_id}, salt=TOKEN_SALT, compress=True)


def survey_url(event: TicketEvent) -> str:
    return settings.GOVDESK_SITE_URL + reverse(
        "satisfaction:answer", kwargs={"survey_token": survey_token(event)}
    )


def is_resolution(event: TicketEvent) -> bool:
    return event.kind == TicketEvent.Kind.STATUS and event.data.get("new") == Ticket.Status.RESOLVED


def _latest_resolution(ticket_id: int) -> TicketEvent | None:
    return (
        TicketEvent.objects.filter(
            ticket=ticket_id, kind=TicketEvent.Kind.STATUS, data__new=Ticket.Status.RESOLVED
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def _agency_at(ticket: Ticket, when) -> int:
    """The agency that held the ticket at `when`: the dashboards' holding rule."""
    holding = (
        TicketHolding.objects.filter(ticket=ticket, started_at__lte=when)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=when))
        .order_by("-started_at", "-pk")
        .values_list("agency_id", flat=True)
        .first()
    )
    return holding or ticket.agency_id


def survey_open(event: TicketEvent) -> Survey:
    """The question of one resolution, created once however often it is asked for."""
    ticket = event.ticket
    survey = Survey.objects.filter(resolution=event).first()
    if survey is not None:
        return survey
    try:
        with transaction.atomic():
            return Survey.objects.create(
                ticket=ticket,
                resolution=event,
                agency_id=_agency_at(ticket, event.created_at),
                requester_id=ticket.requester_id,
                resolved_at=event.created_at,
            )
    except IntegrityError:  # asked at the same moment by another process
        return Survey.objects.get(resolution=event)


def surveys_open_for(events) -> int:
    """The satisfaction subscriber's work: a question for each resolution of a ticket (not
    of a major incident itself, whose followers answer on their own tickets)."""
    opened = 0
    for event in events:
        if is_resolution(event) and event.ticket.kind != Ticket.Kind.MAJOR_INCIDENT:
            survey_open(event)
            opened += 1
    return opened


def survey_from_token(token: str) -> Survey:
    """The survey a token names, if the token is genuine, unexpired and still current."""
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=_link_max_age())
    except signing.SignatureExpired:
        raise SurveyLinkExpired(
            _("This link has expired. Open the ticket in GovDesk to tell us how it went.")
        ) from None
    except signing.BadSignature:
        raise SurveyRefused(_("This link is not valid. Check it was copied whole.")) from None
    if not isinstance(payload, dict) or not {"t", "e"} <= set(payload):
        raise SurveyRefused(_("This link is not valid. Check it was copied whole."))
    event = (
        TicketEvent.objects.filter(pk=payload["e"], ticket=payload["t"])
        .select_related("ticket__agency", "ticket__requester", "ticket__team__lead")
        .first()
    )
    if event is None or not is_resolution(event):
        raise SurveyRefused(_("This link is not valid. Check it was copied whole."))
    return survey_open(event)


def survey_is_current(survey: Survey) -> bool:
    """Whether the survey's resolution still stands: the ticket resolved (or closed) since,
    with no later resolution."""
    ticket = survey.ticket
    if ticket.status not in Ticket.CLOSED_STATUSES:
        return False
    latest = _latest_resolution(ticket.pk)
    return latest is not None and latest.pk == survey.resolution_id


def survey_current_for_ticket(ticket: Ticket) -> Survey | None:
    """The question of the ticket's standing resolution, if it is resolved or closed."""
    if ticket.status not in Ticket.CLOSED_STATUSES or ticket.is_major_incident:
        return None
    latest = _latest_resolution(ticket.pk)
    return survey_open(latest) if latest is not None else None


@transaction.atomic
def survey_answer(*, survey: Survey, rating: str, comment: str = "", actor: User | None) -> Survey:
    """Records the one answer of a resolution.

    1. Refuses an unknown rating, an over-long comment, a superseded resolution, and a second
       answer (compare-and-set on the unanswered row, so two at once record one).
    2. Writes the ticket's SATISFACTION event (for its staff).
    3. A bad answer writes an e-mail to the team lead (else the agency's admins).
    """
    if rating not in Rating.values:
        raise ValidationError({"rating": _("Choose good or bad.")})
    comment = comment.replace("\x00", "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise ValidationError(
            {
                "comment": _("Keep your comment under %(max)s characters.")
                % {"max": COMMENT_MAX_LENGTH}
            }
        )
    if actor is not None and actor.pk != survey.requester_id:
        raise SurveyRefused(_("Only the person who reported the problem answers this question."))
    if not survey_is_current(survey):
        raise SurveyRefused(
            _("This ticket was reopened since this question was asked: nothing was recorded.")
        )
    now = timezone.now()
    answered = Survey.objects.filter(pk=survey.pk, answered_at__isnull=True).update(
        rating=rating, comment=comment, answered_at=now
    )
    if not answered:
        raise SurveyRefused(_("You have already answered for this resolution. Thank you."))
    survey.refresh_from_db()
    ticket = survey.ticket
    event_record(
        ticket, TicketEvent.Kind.SATISFACTION, survey.requester, public=False, body=comment,
        at=now, rating=rating, resolution=survey.resolution_id,
    )  # fmt: skip
    if rating == Rating.BAD:
        _bad_answer_tell(survey)
    return survey


def _people_to_tell(survey: Survey) -> list[User]:
    ticket = survey.ticket
    team = ticket.team if ticket.team_id and ticket.agency_id == survey.agency_id else None
    if team is not None and team.lead_id and team.lead.is_active:
        return [team.lead]
    return list(
        User.objects.filter(
            admins_of_agency_q(survey.agency_id, prefix="memberships__"), is_active=True
        ).distinct()
    )


def _bad_answer_tell(survey: Survey) -> None:
    ticket = survey.ticket
    url = settings.GOVDESK_SITE_URL + reverse("ticket_detail", args=[ticket.reference])
    for person in _people_to_tell(survey):
        with translation.override(person.language):
            subject = _("[%(reference)s] The requester was not satisfied") % {
                "reference": ticket.reference
            }
            body = render_to_string(
                "satisfaction/email/bad_answer.txt",
                {"ticket": ticket, "survey": survey, "url": url, "person": person},
            )
        outbox = Outbox.objects.create(
            to_address=person.email, recipient=person, subject=" ".join(subject.split())[:300],
            body_text=body, ticket=ticket,
            headers={"Auto-Submitted": "auto-generated", "Content-Language": person.language,
                     "X-GovDesk-Ticket": ticket.reference},
            dedupe_key=f"satisfaction-bad:{survey.pk}:{person.pk}",
            created_at=survey.answered_at, next_attempt_at=survey.answered_at,
        )  # fmt: skip
        transaction.on_commit(lambda pk=outbox.pk: outbox_queue_delivery(pk))


def survey_reopen(*, survey: Survey, reason: str) -> Ticket:
    """The requester, through their link, reopens the resolution they were not happy with."""
    from tickets.services import ticket_reopen

    if not survey_is_current(survey) or survey.ticket.status != Ticket.Status.RESOLVED:
        raise SurveyRefused(_("This ticket can no longer be reopened here: report a new problem."))
    reason = " ".join(reason.replace("\x00", "").split())[:2000]
    return ticket_reopen(
        ticket=survey.ticket,
        actor=survey.requester,
        reason=reason or "not solved, said the requester",
    )
