"""Reads of major incidents that cross a permission line.

Three audiences: the staff of the agency that runs an incident (and platform admins) work it
through the tickets' own door; people who report problems see the open incidents of the
services they may report on (the banner); everyone, signed in or not, sees the public status
page, which shows what the owner agency wrote for the public and never a child's contents.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Case, Count, F, Min, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Least
from django.http import Http404
from django.utils import timezone

from accounts.models import Membership, User
from accounts.permissions import Right, acting_agency_id, membership_has_right, sees_all_agencies
from incidents.models import GovService, IncidentAffected, ProposedIncident
from tickets.models import Category, Ticket, TicketEvent
from tickets.selectors import tickets_visible_to, user_works_ticket

STATUS_PAGE_DAYS = 90
STATE_ORDER = [GovService.State.OPERATIONAL, GovService.State.DEGRADED, GovService.State.OUTAGE]


def major_incidents() -> QuerySet[Ticket]:
    """Every major incident with its owner and service, and when its problem began: the first
    report among its children, else its own opening."""
    return (
        Ticket.objects.filter(kind=Ticket.Kind.MAJOR_INCIDENT)
        .select_related("agency", "category", "help_article__article")
        .annotate(
            started_at=Least(Coalesce(Min("children__created_at"), F("created_at")), "created_at")
        )
    )


def _public_categories() -> Q:
    # Government-wide services only: an agency's own service is that agency's business.
    return Q(category__agency__isnull=True)


# -- The staff who run incidents --------------------------------------------------------------


def _runs_every_agencys(membership: Membership | None) -> bool:
    return sees_all_agencies(membership) and membership_has_right(
        membership, Right.MANAGE_INCIDENTS
    )


def _staff_agency_id(membership: Membership | None) -> int | None:
    return acting_agency_id(membership, Right.MANAGE_INCIDENTS)


def may_run_incidents(membership: Membership | None) -> bool:
    return membership_has_right(membership, Right.MANAGE_INCIDENTS)


def may_keep_gov_services(membership: Membership | None) -> bool:
    return membership_has_right(membership, Right.MANAGE_GOV_SERVICES)


def declarable_categories(membership: Membership) -> QuerySet[Category]:
    """The services whose incidents this person's agency owns (every owned one, for those who
    run every agency's)."""
    categories = Category.objects.filter(is_active=True).select_related("parent")
    if _runs_every_agencys(membership):
        owned = Q(handling_agency__isnull=False) | Q(agency__isnull=False)
    else:
        agency_id = _staff_agency_id(membership)
        owned = Q(handling_agency=agency_id) | Q(handling_agency__isnull=True, agency=agency_id)
    return categories.filter(owned).order_by("name")


def proposals_for(membership: Membership | None) -> QuerySet[ProposedIncident]:
    """Proposals waiting for this person's agency; for platform admins, all of them."""
    proposals = ProposedIncident.objects.select_related("category", "owner_agency").filter(
        state=ProposedIncident.State.PROPOSED
    )
    if _runs_every_agencys(membership):
        return proposals
    agency_id = _staff_agency_id(membership)
    return proposals.filter(owner_agency=agency_id) if agency_id else proposals.none()


def proposal_get_for_user(membership: Membership | None, proposal_id: int) -> ProposedIncident:
    """A proposal of this person's agency in any state; 404 for missing and forbidden alike."""
    proposals = ProposedIncident.objects.select_related("category", "owner_agency")
    if not _runs_every_agencys(membership):
        agency_id = _staff_agency_id(membership)
        if agency_id is None:
            raise Http404
        proposals = proposals.filter(owner_agency=agency_id)
    proposal = proposals.filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404
    return proposal


def incidents_run_by(membership: Membership | None) -> QuerySet[Ticket]:
    """Open major incidents this person's agency runs (all, for platform admins)."""
    incidents = major_incidents().exclude(status__in=Ticket.CLOSED_STATUSES)
    incidents = incidents.annotate(child_count=Count("children", distinct=True))
    if _runs_every_agencys(membership):
        return incidents.order_by("-created_at")
    agency_id = _staff_agency_id(membership)
    if agency_id is None:
        return incidents.none()
    return incidents.filter(agency=agency_id).order_by("-created_at")


def incident_get_for_staff(user: User, membership: Membership | None, reference: str) -> Ticket:
    """A major incident the person may change; 404 when they may not see it or it is none."""
    incident = (
        tickets_visible_to(user, membership)
        .filter(kind=Ticket.Kind.MAJOR_INCIDENT, reference=reference.upper())
        .first()
    )
    if incident is None or not user_works_ticket(membership, incident):
        raise Http404
    return incident


# -- People reporting problems ----------------------------------------------------------------


def open_incidents_for_reporter(user: User, agency_id: int | None) -> QuerySet[Ticket]:
    """The banner: open incidents of the services this person may report on."""
    if not user.is_authenticated:
        return Ticket.objects.none()
    return (
        major_incidents()
        .exclude(status__in=Ticket.CLOSED_STATUSES)
        .filter(_public_categories() | Q(category__agency=agency_id))
        .order_by("-created_at")
    )


def incident_get_for_reporter(user: User, agency_id: int | None, reference: str) -> Ticket:
    incident = open_incidents_for_reporter(user, agency_id).filter(reference=reference.upper())
    incident = incident.first()
    if incident is None:
        raise Http404
    return incident


def incident_matching(ticket: Ticket) -> Ticket | None:
    """The open major incident a new ticket belongs to: the same service, else the most alike
    subject, among the incidents its reporter could see on the banner."""
    return incidents_matching(ticket).first()


def incidents_matching(ticket: Ticket) -> QuerySet[Ticket]:
    """`incident_matching`'s candidates, the one it chooses first: the subscriber that
    attaches a new ticket and the confirmation of the report read the same rule."""
    same_service = Q(category=ticket.category_id)
    return (
        Ticket.objects.filter(kind=Ticket.Kind.MAJOR_INCIDENT)
        .exclude(status__in=Ticket.CLOSED_STATUSES)
        .filter(_public_categories() | Q(category__agency=ticket.requester_agency_id))
        .annotate(alike=TrigramSimilarity("subject", ticket.subject))
        .filter(same_service | Q(alike__gte=settings.INCIDENT_SIMILARITY))
        # One query: the same service first, then the most alike, then the newest.
        .order_by(
            Case(When(same_service, then=Value(0)), default=Value(1)), "-alike", "-created_at"
        )
    )


@dataclass
class IncidentForTicket:
    """What the ticket page shows about the incident a ticket belongs to."""

    incident: Ticket
    updates: list[TicketEvent]


def public_updates(incident_ids: list[int]) -> QuerySet[TicketEvent]:
    """What the owner agency posted in public on these incidents, newest first."""
    return TicketEvent.objects.filter(
        ticket__in=incident_ids, kind=TicketEvent.Kind.REPLY, is_public=True
    ).order_by("-created_at", "-id")


def incident_for_child(ticket: Ticket) -> IncidentForTicket | None:
    """Two queries for a ticket in an incident; none for any other."""
    if ticket.parent_id is None:
        return None
    incident = major_incidents().filter(pk=ticket.parent_id).first()
    if incident is None:
        return None
    return IncidentForTicket(incident, list(public_updates([incident.pk])))


@dataclass
class IncidentPanel:
    """The owner agency's view of its incident on the ticket page."""

    children: list[Ticket]
    affected_count: int
    agency_count: int


def incident_panel(incident: Ticket) -> IncidentPanel:
    children = list(
        incident.children.select_related("requester_agency", "agency").order_by("created_at")
    )
    affected = list(IncidentAffected.objects.filter(incident=incident).values_list("agency_id"))
    agencies = {c.requester_agency_id for c in children} | {a for (a,) in affected}
    agencies.discard(None)
    return IncidentPanel(children, len(affected), len(agencies))


# -- The public status page -------------------------------------------------------------------


@dataclass
class ServiceStatus:
    service: GovService
    state: str
    state_label: str


@dataclass
class StatusPage:
    services: list[ServiceStatus]
    open_incidents: list[Ticket]
    recent_incidents: list[Ticket]
    updates: dict[int, list[TicketEvent]]
    generated_at: datetime


def status_page(now: datetime | None = None) -> StatusPage:
    """Four queries, whatever the history: services, their categories, incidents of the last
    90 days (open ones whatever their age), and their public updates."""
    now = now or timezone.now()
    services = list(
        GovService.objects.filter(is_listed=True).prefetch_related("categories").order_by("name")
    )
    since = now - timedelta(days=STATUS_PAGE_DAYS)
    incidents = list(
        major_incidents()
        .filter(_public_categories())
        .filter(Q(created_at__gte=since) | ~Q(status__in=Ticket.CLOSED_STATUSES))
        .order_by("-created_at")
    )
    open_incidents = [i for i in incidents if i.is_open]
    recent = [i for i in incidents if not i.is_open]
    updates: dict[int, list[TicketEvent]] = {i.pk: [] for i in incidents}
    if incidents:
        for event in public_updates(list(updates)):
            updates[event.ticket_id].append(event)
    for incident in incidents:
        incident.public_updates = updates[incident.pk]
    troubled = {i.category_id for i in open_incidents}
    shown = []
    for service in services:
        state = service.state
        # An open incident on one of its services makes it at least degraded, whatever the
        # admins last set: the page must not say "operational" during a known outage.
        if state == GovService.State.OPERATIONAL and any(
            c.pk in troubled for c in service.categories.all()
        ):
            state = GovService.State.DEGRADED
        shown.append(ServiceStatus(service, state, GovService.State(state).label))
    return StatusPage(shown, open_incidents, recent, updates, now)


# -- The CIO Council --------------------------------------------------------------------------


@dataclass
class CouncilIncident:
    incident: Ticket
    agencies: list[str]
    ticket_count: int
    affected_count: int
    time_to_detect: timedelta
    time_to_resolve: timedelta | None


def incidents_for_council(*, since: datetime) -> list[CouncilIncident]:
    """Open major incidents and those opened since `since`, with the agencies affected, the
    number of tickets, and how long it took to detect and to resolve each, counted from the
    first report. Three queries; no ticket contents."""
    incidents = list(
        major_incidents()
        .filter(Q(created_at__gte=since) | ~Q(status__in=Ticket.CLOSED_STATUSES))
        .annotate(ticket_count=Count("children", distinct=True))
        .order_by("-created_at")
    )
    if not incidents:
        return []
    ids = [i.pk for i in incidents]
    agencies: dict[int, set[str]] = {pk: set() for pk in ids}
    affected_counts: dict[int, int] = dict.fromkeys(ids, 0)
    children = Ticket.objects.filter(parent__in=ids, requester_agency__isnull=False)
    for parent_id, code in children.values_list("parent_id", "requester_agency__code").distinct():
        agencies[parent_id].add(code)
    for incident_id, code in IncidentAffected.objects.filter(incident__in=ids).values_list(
        "incident_id", "agency__code"
    ):
        affected_counts[incident_id] += 1
        if code:
            agencies[incident_id].add(code)
    return [
        CouncilIncident(
            incident=incident,
            agencies=sorted(agencies[incident.pk]),
            ticket_count=incident.ticket_count,
            affected_count=affected_counts[incident.pk],
            time_to_detect=incident.created_at - incident.started_at,
            time_to_resolve=(
                incident.resolved_at - incident.started_at if incident.resolved_at else None
            ),
        )
        for incident in incidents
    ]
