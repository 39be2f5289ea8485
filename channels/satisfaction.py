"""Satisfaction by SMS: the resolution SMS of an SMS requester's ticket asks "reply 1 good, 2
bad", once per resolution; the next 1 or 2 from that number is recorded as the same answer
the e-mail link and the ticket's page record (satisfaction.services)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import PhoneNumber, SmsSatisfactionQuestion
from satisfaction.models import Survey
from satisfaction.services import survey_answer, survey_open
from tickets.models import Ticket, TicketEvent

ANSWERS = {"1": Survey.Rating.GOOD, "2": Survey.Rating.BAD}


def sms_satisfaction_ask(*, event: TicketEvent, phone: PhoneNumber) -> bool:
    """Records that this resolution's question goes to `phone`; True when the resolution SMS
    should carry it (the first time only), False for a major incident or a second telling."""
    if event.ticket.kind == Ticket.Kind.MAJOR_INCIDENT:
        return False
    survey_open(event)
    try:
        with transaction.atomic():
            SmsSatisfactionQuestion.objects.create(
                phone=phone,
                ticket=event.ticket,
                resolution_event=event,
                asked_at=timezone.now(),
            )
    except IntegrityError:  # asked already, for this resolution
        return False
    return True


def sms_satisfaction_question() -> str:
    return _("How did we do? Reply 1 good, 2 bad.")


def sms_satisfaction_answer(*, phone: PhoneNumber, text: str) -> tuple[Ticket, str] | None:
    """A 1 or 2 answers the latest question asked to this number within the survey's days:
    (the ticket, the SMS to answer with). None when the text is no such answer."""
    rating = ANSWERS.get(text.strip())
    if rating is None:
        return None
    since = timezone.now() - timedelta(days=settings.SATISFACTION_LINK_DAYS)
    question = (
        SmsSatisfactionQuestion.objects.filter(phone=phone, asked_at__gte=since)
        .select_related("ticket", "resolution_event__ticket")
        .order_by("-asked_at", "-pk")
        .first()
    )
    if question is None:
        return None
    survey = survey_open(question.resolution_event)
    try:
        with transaction.atomic():
            survey_answer(survey=survey, rating=rating, actor=phone.user)
    except ValidationError as error:
        return question.ticket, "GovDesk: " + " ".join(error.messages)
    SmsSatisfactionQuestion.objects.filter(pk=question.pk, answered_at__isnull=True).update(
        answered_at=timezone.now()
    )
    return question.ticket, _("GovDesk: thank you for your answer.")
