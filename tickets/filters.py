"""The agent queue and the API's ticket list: which tickets, narrowed how, in what order.

The queryset always comes from `selectors.tickets_visible_to`; this module only narrows and
orders it, and reads the short lists (teams, agents, categories, agencies) the form offers.
`tickets_filtered` is the one set of filter rules: the web queue's GET form and the API's
query parameters each parse their own syntax into it.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django import forms
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, User
from accounts.permissions import sees_all_agencies
from agencies.models import Agency, Team
from service_levels.models import Priority
from tickets import selectors
from tickets.agent_forms import ME, NOBODY, ObjectChoiceField, assignee_choices
from tickets.models import Category, Ticket, TicketTransfer
from tickets.queue_counts import counts_kept
from tickets.services import SEARCH_CONFIG, search_query_filter, search_rank

PAGE_SIZE = 25


class QueueView:
    """The built-in views: each agent finds the tickets they must act on without a filter."""

    MINE = "mine"
    UNASSIGNED = "unassigned"
    TRANSFERRED = "transferred"
    DUE = "due"
    ALL = "all"
    choices = [
        (MINE, _("Mine")),
        (UNASSIGNED, _("Unassigned in my teams")),
        (TRANSFERRED, _("Transferred to my agency")),
        (DUE, _("Due within an hour or overdue")),
        (ALL, _("All open in my agency")),
    ]
    default = MINE


COUNT_CAP = 1000


def count_capped(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows, counting no further than `cap`: (cap, True) when there are more.

    An exact count of a large queue reads every row; a view's tab only needs to say "1,000+".
    """
    return counts_capped({"rows": queryset}, cap=cap)["rows"]


def counts_capped(
    querysets: dict[str, QuerySet], cap: int = COUNT_CAP
) -> dict[str, tuple[int, bool]]:
    """`count_capped` of several querysets in one query: one scalar subquery each."""
    if not querysets:
        return {}
    parts, params = [], []
    for queryset in querysets.values():
        limited = queryset.order_by().values("pk")[: cap + 1]
        try:
            sql, part_params = limited.query.sql_with_params()
        except EmptyResultSet:  # a queryset that can match nothing, such as .none()
            parts.append("0")
            continue
        # Django's own compiled SQL, its values passed as parameters.
        parts.append(f"(SELECT count(*) FROM ({sql}) AS capped)")  # noqa: S608
        params.extend(part_params)
    with connections[querysets[next(iter(querysets))].db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {
        name: (min(count, cap), count > cap) for name, count in zip(querysets, row, strict=True)
    }


def earliest_due():
    """The earliest due time that still matters: the first response's until it is given, and
    the resolution's. Each side falls back on the other, so that one empty time does not empty
    both (outside PostgreSQL, LEAST is NULL if any argument is)."""
    response = Case(
        When(first_response_at__isnull=True, then=F("response_due_at")),
        default=Value(None),
        output_field=DateTimeField(),
    )
    resolution = F("resolution_due_at")
    return Least(Coalesce(response, resolution), Coalesce(resolution, response))


# Running clocks first, by due time; then stopped ones (paused while waiting), whose due times
# move when they resume; tickets without a due time last.
_CLOCK_RUNNING_FIRST = Case(
    When(sla_due_at__isnull=True, then=Value(2)),
    When(sla_running_since__isnull=True, then=Value(1)),
    default=Value(0),
)


class Sort:
    RELEVANCE = "relevance"
    PRIORITY = "priority"
    DUE = "due"
    UPDATED = "updated"
    AGE = "age"
    choices = [
        (PRIORITY, _("Priority: P1 first, then oldest")),
        (DUE, _("Due soonest")),
        (UPDATED, _("Recently updated first")),
        (AGE, _("Oldest first")),
        (RELEVANCE, _("Best match first (with a search)")),
    ]
    # A last key on the id keeps pages stable when two tickets share a time.
    orderings = {
        RELEVANCE: ("-search_rank", "-updated_at", "-pk"),
        PRIORITY: ("priority", "created_at", "pk"),
        DUE: (_CLOCK_RUNNING_FIRST, "sla_due_at", "pk"),
        UPDATED: ("-updated_at", "-pk"),
        AGE: ("created_at", "pk"),
    }


class ServiceLevel:
    """The service-level filter: one choice at a time, like the others."""

    BREACHED = "breached"
    DUE_SOON = "due_soon"
    choices = [
        ("", _("Any")),
        (BREACHED, _("Breached")),
        (DUE_SOON, _("Due within 1 hour")),
    ]
    soon = timedelta(hours=1)


@dataclass
class QueueLists:
    """What the filter and bulk forms offer: read once per page, whatever the rows."""

    agency: Agency | None
    agencies: list[Agency] = field(default_factory=list)
    teams: list[Team] = field(default_factory=list)
    agents: list[User] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)

    @property
    def has_own_team(self) -> bool:
        """Whether the person is on one of the teams listed: the "my teams" view is theirs."""
        return any(team.is_mine for team in self.teams)


def queue_lists(membership: Membership, agency_code: str = "") -> QueueLists:
    """The agency being worked and the lists of its teams, agents and categories.

    Agency staff work their membership's agency. A platform admin works every agency, or the
    one chosen in the agency filter (by code). Each team says whether the person is on it
    (`is_mine`), read in the same query.
    """
    if sees_all_agencies(membership):
        agencies = list(Agency.objects.order_by("name"))
        wanted = agency_code.strip().upper()
        agency = next((a for a in agencies if a.code == wanted), None)
    else:
        agencies, agency = [], membership.agency
    on_team = Team.members.through.objects.filter(team=OuterRef("pk"), user=membership.user_id)
    teams = (
        Team.objects.select_related("agency")
        .annotate(is_mine=Exists(on_team))
        .order_by("agency__name", "name")
    )
    categories = Category.objects.select_related("parent").order_by("parent__name", "name")
    if agency is not None:
        teams = teams.filter(agency=agency)
        categories = categories.filter(
            Q(agency__isnull=True) | Q(agency=agency) | Q(handling_agency=agency)
        )
        agents = list(selectors.agents_of_agency(agency.pk))
    else:
        agents = []
    return QueueLists(
        agency=agency,
        agencies=agencies,
        teams=list(teams),
        agents=agents,
        categories=list(categories),
    )


class QueueFilterForm(forms.Form):
    view = forms.ChoiceField(choices=QueueView.choices, required=False, widget=forms.HiddenInput)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Words from the subject, description, replies or notes, or a reference."),
    )
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any open status")), *Ticket.Status.choices],
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Any priority")), *Priority.choices]
    )
    team = ObjectChoiceField(label=_("Team"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    category = ObjectChoiceField(label=_("Category"), required=False)
    sla = forms.ChoiceField(
        label=_("Service level"),
        required=False,
        choices=ServiceLevel.choices,
        help_text=_("Due within 1 hour includes tickets already overdue."),
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=Sort.choices)

    def __init__(self, *args, lists: QueueLists, **kwargs):
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(*args, **kwargs)
        if lists.agencies:
            self.fields["agency"].choices = [("", _("All agencies"))] + [
                (a.code, f"{a.name} ({a.code})") for a in lists.agencies
            ]
        else:
            del self.fields["agency"]
        several_agencies = lists.agency is None
        self.fields["team"].set_objects(
            lists.teams,
            empty_label=_("Any team"),
            label_from=(lambda t: f"{t.agency.code} · {t.name}") if several_agencies else str,
        )
        self.fields["assignee"].choices = assignee_choices(lists.agents, empty=_("Anyone"))
        self.fields["category"].set_objects(lists.categories, empty_label=_("Any category"))
        if self.data.get("q") and not self.data.get("sort"):
            # A search with no sort chosen is ordered best match first: show it so.
            self.initial["sort"] = Sort.RELEVANCE
            self.data = self.data.copy()
            self.data["sort"] = Sort.RELEVANCE

    @property
    def is_filtered(self) -> bool:
        names = ("q", "status", "priority", "team", "assignee", "category", "sla", "agency")
        return any(self.data.get(name) for name in names)

    def values(self) -> dict:
        """The valid filters; a bad value in one field leaves the others working."""
        self.is_valid()
        values = {name: self.cleaned_data.get(name) for name in self.fields}
        values["view"] = values.get("view") or QueueView.default
        values["sort"] = values.get("sort") or (
            Sort.RELEVANCE if values.get("q") else Sort.PRIORITY
        )
        if values["sort"] == Sort.RELEVANCE and not values.get("q"):
            values["sort"] = Sort.PRIORITY  # nothing to match against
        return values


def queue_tickets(
    *,
    user: User,
    membership: Membership,
    agency: Agency | None,
    filters: dict,
    now: datetime | None = None,
) -> QuerySet[Ticket]:
    """The queue: the selector's door, narrowed to the agency being worked, then filtered.

    Tickets the agency transferred away stay visible to it on their own pages, but they are
    another agency's work now and never appear here. Each row carries `sla_due_at`, its
    earliest due time, for the "Due" column and the "Due soonest" sort.
    """
    tickets = selectors.tickets_visible_to(user, membership).annotate(sla_due_at=earliest_due())
    assignee = filters.get("assignee")
    if assignee and assignee not in (ME, NOBODY):
        assignee = int(assignee)
    criteria = {**filters, "agency": agency, "assignee": assignee, "open_only": True}
    tickets = tickets_filtered(tickets, user=user, membership=membership, filters=criteria, now=now)
    if filters.get("q"):
        query = filters["q"].strip()
        tickets = search_candidates(tickets, query)
        include_notes = selectors.tickets_with_notes_seen_by(membership) is not None
        tickets = tickets.annotate(search_rank=search_rank(query, include_notes=include_notes))
    # Only what a row shows (templates/tickets/_queue_main.html): a ticket has some 40 columns
    # and each person and agency joined to it a dozen more, read and built into objects 25
    # times a page for nothing.
    tickets = tickets.select_related(None).select_related(*QUEUE_ROW_RELATED).only(*QUEUE_ROW)
    return tickets.order_by(*Sort.orderings[filters["sort"]])


def queue_page_rows(chosen: QuerySet, *, filters: dict, membership: Membership | None):
    """The queue page's tickets, given the subquery of their ids (chosen through the door and
    the filters by `queue_tickets`), with what a row shows, in the list's order. The filters
    are not applied again: a search's matches would be looked for a second time."""
    tickets = Ticket.objects.filter(pk__in=chosen).annotate(sla_due_at=earliest_due())
    if filters["sort"] == Sort.RELEVANCE:
        include_notes = selectors.tickets_with_notes_seen_by(membership) is not None
        rank = search_rank(filters["q"].strip(), include_notes=include_notes)
        tickets = tickets.annotate(search_rank=rank)
    tickets = tickets.select_related(*QUEUE_ROW_RELATED).only(*QUEUE_ROW)
    return tickets.order_by(*Sort.orderings[filters["sort"]])


QUEUE_ROW_RELATED = ("agency", "team", "assignee", "requester")
QUEUE_ROW = (
    "reference", "subject", "priority", "status", "updated_at", "sla_paused_since",
    "agency__code", "agency__name", "team__name", "assignee__full_name", "assignee__email",
    "requester__full_name", "requester__email",
)  # fmt: skip


# How many matches of a search are ranked and listed: a common word matches thousands of
# tickets, and ranking them all costs more than anyone reads.
SEARCH_CANDIDATES = COUNT_CAP


def search_candidates(tickets: QuerySet[Ticket], query: str) -> QuerySet[Ticket]:
    """The matches worth ranking: the ticket whose reference the query is, then the most
    recently updated matches, no more than SEARCH_CANDIDATES (and one more, so that a count
    of them says whether there were more).

    A word matched by fewer tickets than that ranks every one of them, as before. The exact
    reference is read from its unique index (references are stored in capitals), so it is
    found however many tickets the words also match.

    The matches are looked for once, here, and their ids kept: the list's count and its page
    then read those tickets by their primary key, where each used to search the agency's
    whole backlog again (a common word among 9,000 open tickets: 26 ms a time).
    """
    recent = tickets.order_by("-updated_at", "-pk").values("pk")[: SEARCH_CANDIDATES + 1]
    exact = tickets.filter(reference=query.upper()).values("pk")
    found = {row["pk"] for row in exact.union(recent, all=True)}
    return tickets.model.objects.filter(pk__in=sorted(found)).annotate(sla_due_at=earliest_due())


class QueuePaginator(Paginator):
    """Pages of a queue counted no further than COUNT_CAP: a backlog of many thousands says
    "more than 1,000" and lists its first thousand, and nobody waits for an exact count."""

    more = False

    @cached_property
    def count(self) -> int:
        count, self.more = count_capped(self.object_list, cap=COUNT_CAP)
        return count

    def page(self, number):
        """The page's rows chosen first, by their ids alone, then read with what they show.

        In one statement: sliced as a whole, PostgreSQL joins every matching ticket to its
        people, team and agency before keeping 25 (a "due" view of 6,800 tickets at a million:
        59 ms, of which 40 in the joins); choosing the ids first joins only the page's rows.
        """
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        chosen = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.rows(chosen), number, self)

    def __init__(self, object_list, per_page, *, rows=None, **kwargs):
        """`rows(chosen)`: the tickets whose ids the subquery `chosen` gives, with what the
        page shows, in the list's order (`queue_page_rows`); by default the list itself,
        narrowed to them."""
        super().__init__(object_list, per_page, **kwargs)
        self.rows = rows or (lambda chosen: self.object_list.filter(pk__in=chosen))


def queue_view_counts(
    *,
    user: User,
    membership: Membership,
    agency: Agency | None,
    views: list[str],
    now: datetime | None = None,
    cap: int = COUNT_CAP,
) -> dict[str, tuple[int, bool]]:
    """Each built-in view's open tickets, counted up to `cap`, in one query; or as counted
    since the agency's tickets last changed, within the minute (tickets.queue_counts)."""
    now = now or timezone.now()

    def count() -> dict[str, tuple[int, bool]]:
        base = selectors.tickets_visible_to(user, membership).select_related(None)
        criteria = {"agency": agency, "open_only": True}
        return counts_capped(
            {
                view: tickets_filtered(
                    base,
                    user=user,
                    membership=membership,
                    filters={**criteria, "view": view},
                    now=now,
                )
                for view in views
            },
            cap=cap,
        )

    return counts_kept(
        "views",
        agency_id=agency.pk if agency else None,
        # Who sees what: the person, and the agency and role they act in.
        owner=(user.pk, membership.pk if membership else None, _role(membership), cap, *views),
        count=count,
    )


def _role(membership: Membership | None) -> str:
    return membership.role if membership else ""


def tickets_filtered(
    tickets: QuerySet[Ticket],
    *,
    user: User,
    membership: Membership | None,
    filters: dict,
    now: datetime | None = None,
) -> QuerySet[Ticket]:
    """Narrow tickets already through the door by the filters given; an empty one is none.

    - view: a `QueueView` (mine, unassigned in my teams, transferred to the agency, due
      within an hour or overdue, all)
    - status; with none, `open_only` leaves out resolved and closed tickets
    - priority; team (a Team or its id); category (a Category or its slug); agency (an Agency
      or its code); updated_after (an aware datetime)
    - assignee: `ME`, `NOBODY`, a person's id (int) or their e-mail address (str)
    - q: words of the subject, description and replies, or a reference; internal notes are
      searched only on the tickets whose notes the person reads
    - sla: a `ServiceLevel`
    """
    view = filters.get("view")
    if view == QueueView.MINE:
        tickets = tickets.filter(assignee=user)
    elif view == QueueView.UNASSIGNED:
        # One team per ticket and one row per (team, member): the join adds no duplicates.
        tickets = tickets.filter(assignee__isnull=True, team__members=user)
    elif view == QueueView.TRANSFERRED:
        # Handled now by the agency it was last transferred to: the agency being worked.
        arrived = TicketTransfer.objects.filter(ticket=OuterRef("pk"), to_agency=OuterRef("agency"))
        tickets = tickets.filter(Exists(arrived))
    elif view == QueueView.DUE and not filters.get("sla"):
        filters = {**filters, "sla": ServiceLevel.DUE_SOON}
    if filters.get("status"):
        tickets = tickets.filter(status=filters["status"])
    elif filters.get("open_only"):
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    if filters.get("priority"):
        tickets = tickets.filter(priority=filters["priority"])
    agency = filters.get("agency")
    if isinstance(agency, str) and agency.strip():
        tickets = tickets.filter(agency__code=agency.strip().upper())
    elif isinstance(agency, Agency):
        tickets = tickets.filter(agency=agency)
    if filters.get("team"):
        tickets = tickets.filter(team=filters["team"])
    assignee = filters.get("assignee")
    if isinstance(assignee, str):
        assignee = assignee.strip().lower()
    if assignee == ME:
        tickets = tickets.filter(assignee=user)
    elif assignee == NOBODY:
        tickets = tickets.filter(assignee__isnull=True)
    elif isinstance(assignee, int):
        tickets = tickets.filter(assignee=assignee)
    elif assignee:
        tickets = tickets.filter(assignee__email__iexact=assignee)
    category = filters.get("category")
    if isinstance(category, str) and category:
        tickets = tickets.filter(category__slug=category)
    elif isinstance(category, Category):
        tickets = tickets.filter(category=category)
    if filters.get("updated_after"):
        tickets = tickets.filter(updated_at__gt=filters["updated_after"])
    query = (filters.get("q") or "").strip()
    if query:
        tickets = tickets.filter(_search(query, membership))
    sla = filters.get("sla")
    if sla and "sla_due_at" not in tickets.query.annotations:
        tickets = tickets.annotate(sla_due_at=earliest_due())
    if sla == ServiceLevel.BREACHED:
        tickets = tickets.filter(Q(response_breached=True) | Q(resolution_breached=True))
    elif sla == ServiceLevel.DUE_SOON:
        now = now or timezone.now()
        tickets = tickets.filter(
            sla_running_since__isnull=False, sla_due_at__lte=now + ServiceLevel.soon
        )
    return tickets


def _search(query: str, membership: Membership | None) -> Q:
    from django.contrib.postgres.search import SearchQuery

    condition = search_query_filter(query, include_notes=False)
    notes_seen = selectors.tickets_with_notes_seen_by(membership)
    if notes_seen is not None:
        notes = SearchQuery(query, config=SEARCH_CONFIG, search_type="websearch")
        condition |= Q(search_notes=notes) & notes_seen
    return condition


@dataclass
class PanelLists:
    teams: list[Team]
    agents: list[User]
    categories: list[Category]
    agencies: list[Agency]


def agent_panel_lists(ticket: Ticket, *, agencies: bool = True) -> PanelLists:
    """What the agent panel offers for a ticket: its handling agency's teams, agents and
    categories (keeping the ticket's current ones even if retired), and the agencies it may be
    transferred to. Four queries, or three without the agencies."""
    teams = Team.objects.filter(agency=ticket.agency_id).filter(
        Q(is_active=True) | Q(pk=ticket.team_id)
    )
    usable = Q(is_active=True) & (Q(agency__isnull=True) | Q(agency=ticket.agency_id))
    categories = Category.objects.filter(usable | Q(pk=ticket.category_id)).select_related("parent")
    return PanelLists(
        teams=list(teams.order_by("name")),
        agents=list(selectors.agents_of_agency(ticket.agency_id)),
        categories=list(categories.order_by("parent__name", "name")),
        agencies=transfer_agencies(ticket) if agencies else [],
    )


REQUESTER_TICKETS_SHOWN = 5


def requester_other_open_tickets(
    *, user: User, membership: Membership | None, ticket: Ticket
) -> list[Ticket]:
    """The requester's other open tickets this person may see, latest first: a few, for the
    requester card on the ticket page. One query."""
    tickets = (
        selectors.tickets_visible_to(user, membership)
        .select_related(None)
        .filter(requester=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .filter(status__in=Ticket.OPEN_STATUSES)
        .only("reference", "subject", "status", "updated_at")
        .order_by("-updated_at", "-pk")
    )
    return list(tickets[:REQUESTER_TICKETS_SHOWN])


def transfer_agencies(ticket: Ticket) -> list[Agency]:
    """The agencies taking tickets, other than the one handling this one."""
    return list(Agency.objects.filter(is_active=True).exclude(pk=ticket.agency_id).order_by("name"))
