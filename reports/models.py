"""What the dashboards read: facts about tickets, computed once, and daily rollups of them.

Two tables, because two kinds of question are asked:

- `ReportFact` holds one row per thing that happened to a ticket and that a dashboard counts
  or measures (reported, resolved, reopened, transferred in or out, first response, final
  resolution), dated on the acting agency's own calendar day, with the business time it took
  computed once. Percentiles (median, 90th) cannot be summed from daily totals, so they are
  read from the `response` and `resolution` rows of the period: exact, and the cost follows
  the length of the period, never the years behind it (index on agency, kind, day).
- `DailyRollup` sums the facts per day, agency, team, category and priority: the counts,
  the compliance and the trends read a few hundred rows whatever the number of tickets.

Both are derived data: `reports.services` recomputes a ticket's facts from its source rows,
and a day's rollups from its facts, so recomputing twice changes nothing.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportFact(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", _("Reported")
        RESOLVED = "resolved", _("Resolved")
        REOPENED = "reopened", _("Reopened")
        TRANSFER_IN = "transfer_in", _("Transferred in")
        TRANSFER_OUT = "transfer_out", _("Transferred out")
        RESPONSE = "response", _("First response")
        RESOLUTION = "resolution", _("Final resolution")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    # The agency's own calendar day (Agency.time_zone) on which it happened.
    day = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Empty for an agency that no longer holds the ticket: its teams are not the ticket's.
    team = models.ForeignKey(
        "agencies.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey("tickets.Category", on_delete=models.CASCADE, related_name="+")
    priority = models.CharField(max_length=2)
    # For transfers, the agency at the other end.
    counterpart = models.ForeignKey(
        "agencies.Agency", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # For first responses and final resolutions: the business time the agency itself took,
    # and whether that met its target (empty when no service level applied).
    business_seconds = models.PositiveIntegerField(null=True, blank=True)
    met_target = models.BooleanField(null=True, blank=True)

    class Meta:
        indexes = [
            # The period's times and transfers (percentiles, medians, flows) read from the
            # indexes alone: a period holds more facts as the government grows, and visiting
            # each fact's row was most of a dashboard's time at a million tickets.
            models.Index(
                fields=["agency", "kind", "day"],
                name="reportfact_agency_kind_day",
                include=["business_seconds", "counterpart"],
            ),
            models.Index(
                fields=["kind", "day"],
                name="reportfact_kind_day",
                include=["agency", "business_seconds", "counterpart"],
            ),
            models.Index(fields=["ticket"], name="reportfact_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.agency_id} {self.day}"


class DailyRollup(models.Model):
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    # Not a constraint: a team deleted in the admin must not merge two rows into one key
    # (which the unique constraint would refuse); the next rebuild of the day tidies up.
    team = models.ForeignKey(
        "agencies.Team",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey("tickets.Category", on_delete=models.CASCADE, related_name="+")
    priority = models.CharField(max_length=2)
    created = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    transferred_in = models.PositiveIntegerField(default=0)
    transferred_out = models.PositiveIntegerField(default=0)
    response_met = models.PositiveIntegerField(default=0)
    response_breached = models.PositiveIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    resolution_breached = models.PositiveIntegerField(default=0)

    COUNTS = (
        "created",
        "resolved",
        "reopened",
        "transferred_in",
        "transferred_out",
        "response_met",
        "response_breached",
        "resolution_met",
        "resolution_breached",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "day", "team", "category", "priority"],
                nulls_distinct=False,
                name="dailyrollup_one_row_per_key",
            ),
        ]
        indexes = [models.Index(fields=["day"], name="dailyrollup_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day} {self.category_id} {self.priority}"
