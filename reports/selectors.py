"""The dashboards' reads. Each runs a fixed number of queries, whatever the data:

- the open backlog is counted live on the tickets (indexed by agency and status), one query;
- everything about a period reads the daily rollups and, for percentiles and transfers, the
  facts of that period only (indexed by agency, kind and day).

Every figure comes out as a `Table` (caption, headings, rows), which the page shows beside
its chart and the exports write as they are: the same numbers everywhere. The Council's
tables name agencies, categories and counts, never a ticket, its text or its requester.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connections, router
from django.db.models import Aggregate, Count, F, FloatField, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.permissions import Right, acting_agency_id, membership_has_right, sees_all_agencies
from agencies.models import Agency
from knowledge.selectors import deflections_by_agency
from reports.forms import Period
from reports.models import DailyRollup, ReportFact
from satisfaction.selectors import satisfaction_by_agency
from service_levels.models import Priority
from tickets.models import Ticket

OPEN_STATUSES = [s for s in Ticket.Status.values if s not in Ticket.CLOSED_STATUSES]
TOP_CATEGORIES = 10
SECONDS_PER_HOUR = 3600


class Percentile(Aggregate):
    """PostgreSQL's exact percentile_cont over the rows of the group."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass
class Table:
    slug: str
    caption: str
    headings: list[str]
    rows: list[list] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.rows


def age_buckets() -> list[tuple[str, int, int | None]]:
    return [
        (_("Under 1 day"), 0, 1),
        (_("1 to 3 days"), 1, 3),
        (_("3 to 7 days"), 3, 7),
        (_("7 to 30 days"), 7, 30),
        (_("Over 30 days"), 30, None),
    ]


def _age_counts(now: datetime) -> dict:
    counts = {}
    for index, (_label, low, high) in enumerate(age_buckets()):
        condition = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=now - timedelta(days=high))
        counts[f"age_{index}"] = Count("created_at", filter=condition)
    return counts


def rate(part, whole) -> float | None:
    """A percentage, or None when there is nothing to divide by."""
    return round(100 * part / whole, 1) if whole else None


def hours(seconds) -> float | None:
    return None if seconds is None else round(seconds / SECONDS_PER_HOUR, 1)


def _period_sums() -> dict:
    return {name: Sum(name) for name in DailyRollup.COUNTS}


# -- The agency dashboard ------------------------------------------------------------------


@dataclass
class AgencyDashboard:
    agency: Agency
    period: Period
    tables: dict[str, Table]
    totals: dict
    daily: list[dict]
    has_period_data: bool
    open_total: int


def agency_dashboard(*, agency: Agency, period: Period, now: datetime) -> AgencyDashboard:
    """Five queries: the live backlog, the period's days, its top categories, its business
    times and its transfers."""
    # 1. The open backlog, grouped every way the page shows it, with ages, in one pass; it
    # names only columns of the open-backlog index (ticket_open_backlog), so PostgreSQL
    # counts it from the index without visiting each open ticket.
    backlog = list(
        Ticket.objects.filter(agency=agency, status__in=OPEN_STATUSES)
        .values(
            "status", "priority", "team_id", "team__name", "assignee_id",
            "assignee__full_name", "assignee__email",
        )
        .annotate(count=Count("*"), **_age_counts(now))
        .order_by()
    )  # fmt: skip
    # 2. The period, day by day, from the rollups.
    by_day = {
        row["day"]: row
        for row in DailyRollup.objects.filter(agency=agency, day__range=(period.start, period.end))
        .values("day")
        .annotate(**_period_sums())
        .order_by("day")
    }
    # 3. Top categories of the period.
    categories = list(
        DailyRollup.objects.filter(agency=agency, day__range=(period.start, period.end))
        .values("category__name")
        .annotate(created=Sum("created"), resolved=Sum("resolved"))
        .filter(created__gt=0)
        .order_by("-created", "category__name")[:TOP_CATEGORIES]
    )
    # 4. Median and 90th percentile of business time, response and resolution.
    times = {
        row["kind"]: row
        for row in ReportFact.objects.filter(
            agency=agency,
            kind__in=[ReportFact.Kind.RESPONSE, ReportFact.Kind.RESOLUTION],
            day__range=(period.start, period.end),
        )
        .values("kind")
        .annotate(
            count=Count("*"),
            median=Percentile("business_seconds", 0.5),
            p90=Percentile("business_seconds", 0.9),
        )
        .order_by()
    }
    # 5. Transfers in and out, and with whom.
    transfers = list(
        ReportFact.objects.filter(
            agency=agency,
            kind__in=[ReportFact.Kind.TRANSFER_IN, ReportFact.Kind.TRANSFER_OUT],
            day__range=(period.start, period.end),
        )
        .values("kind", "counterpart__code", "counterpart__name")
        .annotate(count=Count("*"))
        .order_by("kind", "-count", "counterpart__code")
    )
    return _agency_tables(agency, period, backlog, by_day, categories, times, transfers)


def _agency_tables(agency, period, backlog, by_day, categories, times, transfers):
    tables = {}
    status_labels = dict(Ticket.Status.choices)
    by_status, by_priority, by_team, by_agent = (defaultdict(int) for _i in range(4))
    ages = [0] * len(age_buckets())
    for row in backlog:
        by_status[row["status"]] += row["count"]
        by_priority[row["priority"]] += row["count"]
        by_team[row["team__name"] or _("No team")] += row["count"]
        agent = row["assignee__full_name"] or row["assignee__email"] or _("Unassigned")
        by_agent[agent] += row["count"]
        for index in range(len(ages)):
            ages[index] += row[f"age_{index}"]
    tables["status"] = Table(
        "status", _("Open tickets by status"), [_("Status"), _("Open tickets")],
        [[status_labels[s], by_status[s]] for s in OPEN_STATUSES],
    )  # fmt: skip
    tables["priority"] = Table(
        "priority", _("Open tickets by priority"), [_("Priority"), _("Open tickets")],
        [[label, by_priority[value]] for value, label in Priority.choices],
    )  # fmt: skip
    tables["team"] = Table(
        "team", _("Open tickets by team"), [_("Team"), _("Open tickets")],
        sorted(([name, count] for name, count in by_team.items()), key=lambda r: (-r[1], r[0])),
    )  # fmt: skip
    tables["age"] = Table(
        "age", _("Age of open tickets"), [_("Age"), _("Open tickets")],
        [[label, ages[index]] for index, (label, _l, _h) in enumerate(age_buckets())],
    )  # fmt: skip
    tables["agents"] = Table(
        "agents", _("Open tickets per agent"), [_("Agent"), _("Open tickets")],
        sorted(([name, count] for name, count in by_agent.items()), key=lambda r: (-r[1], r[0])),
    )  # fmt: skip
    daily = [_day_row(day, by_day.get(day)) for day in period.days]
    tables["daily"] = Table(
        "daily", _("Reported and resolved per day"),
        [_("Day"), _("Reported"), _("Resolved"), _("Response compliance (%)"),
         _("Resolution compliance (%)")],
        [[d["day"].isoformat(), d["created"], d["resolved"], d["response_rate"],
          d["resolution_rate"]] for d in daily],
    )  # fmt: skip
    totals = {name: sum(d[name] for d in daily) for name in DailyRollup.COUNTS}
    totals["response_rate"] = rate(
        totals["response_met"], totals["response_met"] + totals["response_breached"]
    )
    totals["resolution_rate"] = rate(
        totals["resolution_met"], totals["resolution_met"] + totals["resolution_breached"]
    )
    totals["reopen_rate"] = rate(totals["reopened"], totals["resolved"])
    tables["sla"] = Table(
        "sla", _("Service-level compliance in the period"),
        [_("Target"), _("Met"), _("Breached"), _("Compliance (%)")],
        [
            [_("First response"), totals["response_met"], totals["response_breached"],
             totals["response_rate"]],
            [_("Resolution"), totals["resolution_met"], totals["resolution_breached"],
             totals["resolution_rate"]],
        ],
    )  # fmt: skip
    kinds = ((ReportFact.Kind.RESPONSE, _("First response")),
             (ReportFact.Kind.RESOLUTION, _("Resolution")))  # fmt: skip
    tables["times"] = Table(
        "times", _("Business time taken, in hours"),
        [_("Measure"), _("Tickets"), _("Median (hours)"), _("90th percentile (hours)")],
        [[label, times.get(kind, {}).get("count", 0), hours(times.get(kind, {}).get("median")),
          hours(times.get(kind, {}).get("p90"))] for kind, label in kinds],
    )  # fmt: skip
    tables["categories"] = Table(
        "categories", _("Top categories"), [_("Category"), _("Reported"), _("Resolved")],
        [[row["category__name"], row["created"], row["resolved"]] for row in categories],
    )  # fmt: skip
    directions = {
        ReportFact.Kind.TRANSFER_OUT: _("Out to"),
        ReportFact.Kind.TRANSFER_IN: _("In from"),
    }
    tables["transfers"] = Table(
        "transfers", _("Transfers in and out"), [_("Direction"), _("Agency"), _("Tickets")],
        [[directions[row["kind"]], f"{row['counterpart__name']} ({row['counterpart__code']})",
          row["count"]] for row in transfers],
    )  # fmt: skip
    tables["reopen"] = Table(
        "reopen", _("Reopened tickets"), [_("Resolved"), _("Reopened"), _("Reopen rate (%)")],
        [[totals["resolved"], totals["reopened"], totals["reopen_rate"]]],
    )  # fmt: skip
    return AgencyDashboard(
        agency=agency,
        period=period,
        tables=tables,
        totals=totals,
        daily=daily,
        has_period_data=bool(by_day) or bool(times) or bool(transfers),
        open_total=sum(by_status.values()),
    )


def _day_row(day: date, row: dict | None) -> dict:
    row = row or {}
    counts = {name: row.get(name) or 0 for name in DailyRollup.COUNTS}
    return {
        "day": day,
        **counts,
        "response_rate": rate(
            counts["response_met"], counts["response_met"] + counts["response_breached"]
        ),
        "resolution_rate": rate(
            counts["resolution_met"], counts["resolution_met"] + counts["resolution_breached"]
        ),
    }


# -- The Council dashboard -----------------------------------------------------------------


@dataclass
class CouncilDashboard:
    period: Period
    tables: dict[str, Table]
    league: list[dict]
    daily: list[dict]
    has_period_data: bool


LEAGUE_COLUMNS = [
    "created", "open", "over_30", "response", "resolution", "median_resolution",
    "reopen_rate", "transferred_share", "satisfaction", "satisfaction_answers", "deflections",
]  # fmt: skip


def council_dashboard(
    *, period: Period, now: datetime, kind: str = "", sort: str = "", order: str = ""
) -> CouncilDashboard:
    """Seven queries: the agencies, the period's sums (by agency, by day and by category, in
    one pass over the rollups), their live backlog, their median resolution, the flow of
    transfers, and each agency's satisfaction and deflections."""
    # 1. The agencies in the table.
    agencies = list(
        Agency.objects.filter(is_active=True, **({"kind": kind} if kind else {}))
        .only("code", "name", "kind")
        .order_by("name")
    )
    ids = [agency.pk for agency in agencies]
    in_period = Q(agency__in=ids, day__range=(period.start, period.end))
    # 2. The period's rollups, read once and summed three ways: by agency, by day, and by
    # category (of which the top ones).
    sums, by_day, categories = _council_period_sums(ids, period)
    # 3. Each agency's open backlog, live, from the open-backlog index alone.
    backlog = {
        row["agency_id"]: row
        for row in Ticket.objects.filter(agency__in=ids, status__in=OPEN_STATUSES)
        .values("agency_id")
        .annotate(
            open=Count("*"),
            over_30=Count("created_at", filter=Q(created_at__lt=now - timedelta(30))),
        )
        .order_by()
    }
    # 4. Each agency's median business time to resolution, on its own holdings.
    medians = dict(
        ReportFact.objects.filter(in_period, kind=ReportFact.Kind.RESOLUTION)
        .values("agency_id")
        .annotate(median=Percentile("business_seconds", 0.5))
        .values_list("agency_id", "median")
        .order_by()
    )
    # 5. Transfers between agencies.
    flow = list(
        ReportFact.objects.filter(in_period, kind=ReportFact.Kind.TRANSFER_OUT)
        .values(source=F("agency__code"), target=F("counterpart__code"))
        .annotate(count=Count("*"))
        .order_by("-count", "source", "target")
    )
    # 6. Each agency's requesters' verdicts, on the resolutions it made (satisfaction app);
    # 7. the problems its people solved with a help article (knowledge app).
    verdicts = satisfaction_by_agency(
        ids, start=period.start, end=period.end, time_zone=settings.TIME_ZONE
    )
    deflected = deflections_by_agency(
        ids, start=period.start, end=period.end, time_zone=settings.TIME_ZONE
    )
    league = [_league_row(a, sums.get(a.pk, {}), backlog.get(a.pk, {}), medians.get(a.pk))
              for a in agencies]  # fmt: skip
    for agency, row in zip(agencies, league, strict=True):
        verdict = verdicts.get(agency.pk, {})
        row["satisfaction"] = verdict.get("share_good")
        row["satisfaction_answers"] = verdict.get("answers", 0)
        row["deflections"] = deflected.get(agency.pk, 0)
    league = _sorted_league(league, sort, order)
    daily = [_day_row(day, by_day.get(day)) for day in period.days]
    tables = {
        "league": Table(
            "league", _("Agencies side by side"),
            [_("Agency"), _("Code"), _("Tickets reported"), _("Open backlog"),
             _("Open over 30 days"), _("Response compliance (%)"),
             _("Resolution compliance (%)"), _("Median resolution (business hours)"),
             _("Reopen rate (%)"), _("Share transferred (%)"), _("Satisfaction, good (%)"),
             _("Satisfaction answers"), _("Problems solved by articles")],
            [[r["name"], r["code"], *(r[c] for c in LEAGUE_COLUMNS)] for r in league],
        ),
        "trend": Table(
            "trend", _("Government-wide, per day"),
            [_("Day"), _("Reported"), _("Resolved"), _("Response compliance (%)"),
             _("Resolution compliance (%)")],
            [[d["day"].isoformat(), d["created"], d["resolved"], d["response_rate"],
              d["resolution_rate"]] for d in daily],
        ),
        "categories": Table(
            "categories", _("Top categories across government"),
            [_("Category"), _("Reported"), _("Resolved")],
            [[row["category__name"], row["created"], row["resolved"]] for row in categories],
        ),
        "transfers": Table(
            "transfers", _("Transfers between agencies"),
            [_("From"), _("To"), _("Tickets")],
            [[row["source"], row["target"], row["count"]] for row in flow],
        ),
    }  # fmt: skip
    return CouncilDashboard(
        period=period,
        tables=tables,
        league=league,
        daily=daily,
        has_period_data=bool(by_day) or bool(flow),
    )


_SUMS_SQL = ", ".join(f"SUM(r.{name})" for name in DailyRollup.COUNTS)
# One scan of the period's rollup rows, three groupings: its cost is the period's rows once,
# where three queries read them three times (a month of a whole government's rollups is
# tens of thousands of rows at a million tickets).
_COUNCIL_PERIOD_SQL = f"""
SELECT GROUPING(r.agency_id) = 0, GROUPING(r.day) = 0, r.agency_id, r.day, c.name, {_SUMS_SQL}
FROM reports_dailyrollup AS r
JOIN tickets_category AS c ON c.id = r.category_id
WHERE r.agency_id = ANY(%s::bigint[]) AND r.day BETWEEN %s AND %s
GROUP BY GROUPING SETS ((r.agency_id), (r.day), (c.name))
"""  # noqa: S608 - column names from the model, values all parameters


def _council_period_sums(agency_ids: list[int], period: Period):
    """The period's rollups summed by agency (id -> sums), by day (day -> sums) and the top
    categories by tickets reported ([{category__name, created, resolved}]): one query."""
    by_agency, by_day, by_category = {}, {}, []
    database = router.db_for_read(DailyRollup)
    with connections[database].cursor() as cursor:
        cursor.execute(_COUNCIL_PERIOD_SQL, [agency_ids, period.start, period.end])
        rows = cursor.fetchall()
    for is_agency, is_day, agency_id, day, category, *counts in rows:
        sums = dict(zip(DailyRollup.COUNTS, counts, strict=True))
        if is_agency:
            by_agency[agency_id] = {"agency_id": agency_id, **sums}
        elif is_day:
            by_day[day] = {"day": day, **sums}
        elif sums["created"] > 0:
            by_category.append(
                {
                    "category__name": category,
                    "created": sums["created"],
                    "resolved": sums["resolved"],
                }
            )
    by_category.sort(key=lambda row: (-row["created"], row["category__name"]))
    return by_agency, dict(sorted(by_day.items())), by_category[:TOP_CATEGORIES]


def _league_row(agency: Agency, sums: dict, backlog: dict, median) -> dict:
    count = {name: sums.get(name) or 0 for name in DailyRollup.COUNTS}
    return {
        "code": agency.code,
        "name": agency.name,
        "created": count["created"],
        "open": backlog.get("open", 0),
        "over_30": backlog.get("over_30", 0),
        "response": rate(count["response_met"], count["response_met"] + count["response_breached"]),
        "resolution": rate(
            count["resolution_met"], count["resolution_met"] + count["resolution_breached"]
        ),
        "median_resolution": hours(median),
        "reopen_rate": rate(count["reopened"], count["resolved"]),
        "transferred_share": rate(count["transferred_out"], count["created"]),
    }


def _sorted_league(league: list[dict], sort: str, order: str) -> list[dict]:
    if sort == "agency":
        return sorted(league, key=lambda row: row["name"], reverse=order == "desc")
    if sort not in LEAGUE_COLUMNS:
        return league  # by name, as read
    descending = order != "asc"
    present = [row for row in league if row[sort] is not None]
    missing = [row for row in league if row[sort] is None]  # no data: always last
    # Stable sorts: equal values stay in the order of the agencies' names.
    present.sort(key=lambda row: row["name"])
    present.sort(key=lambda row: row[sort], reverse=descending)
    return present + missing


# -- Who sees which dashboard --------------------------------------------------------------


def dashboard_agency_for(membership, code: str | None = None) -> Agency | None:
    """The agency whose dashboard this membership may read; 404 for anyone else.

    Agents and agency admins see their acting agency's, and only it: another agency's code is
    a 404, as for one that does not exist. A platform admin may read any active agency's and
    gets None until one is chosen.
    """
    if membership is None:
        raise Http404
    if acting_agency_id(membership, Right.VIEW_AGENCY_DASHBOARD) is not None:
        if code is not None and code.upper() != membership.agency.code:
            raise Http404
        return membership.agency
    if may_view_every_agency_dashboard(membership):
        if not code:
            return None
        agency = Agency.objects.filter(code=code.upper(), is_active=True).first()
        if agency is None:
            raise Http404
        return agency
    raise Http404


def may_view_every_agency_dashboard(membership) -> bool:
    """Whether the person chooses the agency whose dashboard they read (a platform admin)."""
    return sees_all_agencies(membership) and membership_has_right(
        membership, Right.VIEW_AGENCY_DASHBOARD
    )


def may_view_council(membership) -> bool:
    return membership_has_right(membership, Right.VIEW_COUNCIL_DASHBOARD)


def agencies_for_platform_admin():
    return Agency.objects.filter(is_active=True).order_by("name")
