"""Reads that cross data protection's permission line: each takes the acting membership and
answers 404 for what is missing and what is not the officer's alike."""

from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import data_protection_scope
from privacy.models import AccessLogEntry, LegalHold
from tickets.models import Ticket

ACCESS_LOG_PAGE_SIZE = 50


def officer_scope(membership) -> int | None:
    """The agency the officer acts for, None for every agency; 404 for everyone else."""
    allowed, agency_id = data_protection_scope(membership)
    if not allowed:
        raise Http404
    return agency_id


def person_in_scope_q(agency_id: int | None) -> Q:
    """People an agency's officer answers for: its members, and those whose tickets it holds."""
    if agency_id is None:
        return Q()
    return Q(memberships__agency_id=agency_id) | Q(
        pk__in=Ticket.objects.filter(
            Q(agency_id=agency_id) | Q(requester_agency_id=agency_id)
        ).values("requester_id")
    )


def person_get_for_officer(membership, person_id: int):
    agency_id = officer_scope(membership)
    person = (
        get_user_model()
        .objects.filter(person_in_scope_q(agency_id), pk=person_id)
        .distinct()
        .first()
    )
    if person is None:
        raise Http404
    return person


def person_find_for_officer(membership, email: str):
    agency_id = officer_scope(membership)
    return (
        get_user_model()
        .objects.filter(person_in_scope_q(agency_id), email__iexact=email.strip())
        .distinct()
        .first()
    )


def access_log_for_officer(membership, *, filters: dict) -> QuerySet[AccessLogEntry]:
    """The entries the officer may read, filtered by person (reader or read about), ticket,
    agency and period (dates in the installation's time zone, both ends included)."""
    agency_id = officer_scope(membership)
    entries = AccessLogEntry.objects.select_related("reader", "subject", "ticket", "agency")
    if agency_id is not None:
        entries = entries.filter(agency_id=agency_id)
    if filters.get("person"):
        person = filters["person"].strip()
        entries = entries.filter(Q(reader__email__iexact=person) | Q(subject__email__iexact=person))
    if filters.get("ticket"):
        entries = entries.filter(ticket__reference__iexact=filters["ticket"].strip())
    if filters.get("agency"):
        entries = entries.filter(agency=filters["agency"])
    zone = timezone.get_current_timezone()
    if filters.get("since"):
        entries = entries.filter(at__gte=datetime.combine(filters["since"], time.min, zone))
    if filters.get("until"):
        entries = entries.filter(at__lte=datetime.combine(filters["until"], time.max, zone))
    return entries.order_by("-at", "-id")


def holds_of(person) -> QuerySet[LegalHold]:
    return (
        LegalHold.objects.filter(
            Q(person=person) | Q(ticket__requester=person), released_at__isnull=True
        )
        .select_related("ticket", "placed_by")
        .order_by("-placed_at")
    )


def hold_get_for_officer(membership, hold_id: int) -> LegalHold:
    agency_id = officer_scope(membership)
    holds = LegalHold.objects.filter(pk=hold_id, released_at__isnull=True)
    if agency_id is not None:
        holds = holds.filter(
            Q(ticket__agency_id=agency_id)
            | Q(person__in=get_user_model().objects.filter(person_in_scope_q(agency_id)))
        )
    hold = holds.select_related("ticket", "person").first()
    if hold is None:
        raise Http404
    return hold


def memberships_of(person) -> QuerySet[Membership]:
    return Membership.objects.filter(user=person).select_related("agency")
