"""Finding clusters of recent tickets that look like one shared outage. Reads only: the
writing is incidents.services.incidents_detect.

Two ways to be one cluster:
1. the same category of a shared service (one with a handling agency, such as government
   e-mail run by NICTA). A category each agency handles itself, such as "Computer and
   printer", says nothing shared: three ministries' printers are three printers;
2. subjects or descriptions alike by PostgreSQL trigram similarity, whatever the categories
   (people choose the wrong service when everything is down).
Either way the cluster must come from enough tickets and enough requester agencies.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from incidents.models import ProposedIncident
from tickets.models import Ticket


@dataclass
class Cluster:
    basis: str
    category_id: int
    ticket_ids: list[int]
    agency_ids: set[int]
    first_reported_at: datetime
    # A waiting proposal of the same service that these tickets join instead.
    extends: ProposedIncident | None = None
    extra: dict = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        # The first ticket is in no other proposal (a ticket joins one at most), so this
        # names the cluster however many more tickets it gathers before it is proposed.
        return f"{self.basis}:{self.category_id}:{min(self.ticket_ids)}"


def candidate_tickets(now: datetime) -> list[dict]:
    """Open tickets of the window that no incident or proposal has taken yet."""
    since = now - timedelta(minutes=settings.INCIDENT_WINDOW_MINUTES)
    return list(
        Ticket.objects.filter(
            kind=Ticket.Kind.INCIDENT,
            created_at__gte=since,
            created_at__lte=now,
            parent__isnull=True,
            merged_into__isnull=True,
            incident_proposal_link__isnull=True,
        )
        .exclude(status__in=Ticket.CLOSED_STATUSES)
        .order_by("pk")
        .values(
            "pk", "category_id", "requester_agency_id", "created_at", "category__handling_agency"
        )
    )


def _enough(tickets: list[dict]) -> bool:
    agencies = {t["requester_agency_id"] for t in tickets if t["requester_agency_id"]}
    return (
        len(tickets) >= settings.INCIDENT_MIN_TICKETS
        and len(agencies) >= settings.INCIDENT_MIN_AGENCIES
    )


def _cluster(basis: str, category_id: int, tickets: list[dict], extends=None) -> Cluster:
    return Cluster(
        basis=basis,
        category_id=category_id,
        ticket_ids=sorted(t["pk"] for t in tickets),
        agency_ids={t["requester_agency_id"] for t in tickets if t["requester_agency_id"]},
        first_reported_at=min(t["created_at"] for t in tickets),
        extends=extends,
    )


def _similar_pairs(ticket_ids: list[int]) -> list[tuple[int, int]]:
    """Pairs of these tickets whose subjects, or first lines of description, are alike."""
    if len(ticket_ids) < 2:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, b.id
              FROM tickets_ticket a
              JOIN tickets_ticket b ON a.id < b.id
             WHERE a.id = ANY(%(ids)s) AND b.id = ANY(%(ids)s)
               AND GREATEST(
                     similarity(lower(a.subject), lower(b.subject)),
                     similarity(lower(left(a.description, 300)), lower(left(b.description, 300)))
                   ) >= %(threshold)s
            """,
            {"ids": ticket_ids, "threshold": settings.INCIDENT_SIMILARITY},
        )
        return cursor.fetchall()


def _connected(ticket_ids: list[int], pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Groups of tickets linked by similarity, directly or through each other."""
    root = {pk: pk for pk in ticket_ids}

    def find(pk: int) -> int:
        while root[pk] != pk:
            root[pk] = root[root[pk]]
            pk = root[pk]
        return pk

    for a, b in pairs:
        root[find(a)] = find(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for pk in ticket_ids:
        groups[find(pk)].append(pk)
    return [group for group in groups.values() if len(group) > 1]


def find_clusters(now: datetime | None = None) -> list[Cluster]:
    now = now or timezone.now()
    tickets = candidate_tickets(now)
    waiting = {
        proposal.category_id: proposal
        for proposal in ProposedIncident.objects.filter(
            state=ProposedIncident.State.PROPOSED, basis=ProposedIncident.Basis.CATEGORY
        )
    }
    clusters: list[Cluster] = []
    taken: set[int] = set()
    by_category: dict[int, list[dict]] = defaultdict(list)
    for ticket in tickets:
        if ticket["category__handling_agency"] is not None:
            by_category[ticket["category_id"]].append(ticket)
    for category_id, group in by_category.items():
        basis = ProposedIncident.Basis.CATEGORY
        if category_id in waiting:
            clusters.append(_cluster(basis, category_id, group, extends=waiting[category_id]))
        elif _enough(group):
            clusters.append(_cluster(basis, category_id, group))
        else:
            continue
        taken.update(t["pk"] for t in group)
    rest = {t["pk"]: t for t in tickets if t["pk"] not in taken}
    for group_ids in _connected(list(rest), _similar_pairs(list(rest))):
        group = [rest[pk] for pk in group_ids]
        if _enough(group):
            # The service most of them chose stands for the cluster; the lowest id on a tie.
            counts = Counter(t["category_id"] for t in group)
            category_id = min(counts, key=lambda pk: (-counts[pk], pk))
            clusters.append(_cluster(ProposedIncident.Basis.SIMILAR, category_id, group))
    return clusters
