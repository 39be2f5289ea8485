"""Major incidents: what detection proposes, who says they are affected, and the services the
public status page lists. The incident itself is a Ticket of kind major incident, and its
tickets are children through Ticket.parent."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class GovService(models.Model):
    """A government online service as the public status page names it, kept by platform
    admins; its categories tie it to the tickets and incidents about it."""

    class State(models.TextChoices):
        OPERATIONAL = "operational", _("Operational")
        DEGRADED = "degraded", _("Degraded")
        OUTAGE = "outage", _("Outage")

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    categories = models.ManyToManyField(
        "tickets.Category",
        verbose_name=_("categories"),
        related_name="gov_services",
        blank=True,
        help_text=_("Tickets and incidents in these categories are about this service."),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.OPERATIONAL
    )
    is_listed = models.BooleanField(_("shown on the status page"), default=True)
    state_changed_at = models.DateTimeField(_("state changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("government service")
        verbose_name_plural = _("government services")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProposedIncident(models.Model):
    """A cluster of recent tickets that detection thinks is one shared outage.

    A ticket belongs to one proposal at most (ProposedIncidentTicket.ticket is unique), so a
    cluster is never proposed twice, whether detection runs again or twice at once.
    """

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for a decision")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    class Basis(models.TextChoices):
        CATEGORY = "category", _("Same service")
        SIMILAR = "similar", _("Similar reports")

    # basis, category and first ticket: stable for the same cluster, whoever computes it.
    fingerprint = models.CharField(max_length=100, unique=True)
    basis = models.CharField(_("found by"), max_length=10, choices=Basis.choices)
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    owner_agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("owner agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposed_incidents",
        help_text=_("The agency that runs the service; empty when no agency does."),
    )
    tickets = models.ManyToManyField(
        "tickets.Ticket", through="ProposedIncidentTicket", related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PROPOSED
    )
    ticket_count = models.PositiveIntegerField(_("tickets"), default=0)
    agency_count = models.PositiveIntegerField(_("agencies"), default=0)
    first_reported_at = models.DateTimeField(_("first report"))
    detected_at = models.DateTimeField(_("detected"), db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("major incident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
    )

    # Data protection: which text fields hold a person's data (privacy/).
    not_personal_fields = ("fingerprint",)

    class Meta:
        verbose_name = _("proposed major incident")
        verbose_name_plural = _("proposed major incidents")
        ordering = ["-detected_at", "-id"]
        indexes = [
            models.Index(
                fields=["owner_agency", "-detected_at"],
                name="proposal_waiting",
                condition=Q(state="proposed"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.fingerprint} ({self.state})"


class ProposedIncidentTicket(models.Model):
    proposal = models.ForeignKey(ProposedIncident, on_delete=models.CASCADE, related_name="+")
    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="incident_proposal_link"
    )

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.ticket_id}"


class IncidentAffected(models.Model):
    """Someone who said "I am affected too" instead of reporting the problem again."""

    incident = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="affected_people"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("person affected by an incident")
        verbose_name_plural = _("people affected by incidents")
        constraints = [
            models.UniqueConstraint(fields=["incident", "user"], name="incidentaffected_once")
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.user_id}"


class IncidentArticle(models.Model):
    """The help article a major incident points everyone to: its banner on "Report a problem",
    the home page and the public status page link to it. A published public article only,
    since all of those are read by anyone."""

    incident = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="help_article"
    )
    article = models.ForeignKey(
        "knowledge.Article", on_delete=models.CASCADE, related_name="incidents"
    )
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    attached_at = models.DateTimeField()

    class Meta:
        verbose_name = _("help article of an incident")

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.article_id}"
