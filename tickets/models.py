from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from service_levels.models import Priority


class Level(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


# Impact x urgency -> priority, as agreed by the CIO Council.
PRIORITY_MATRIX = {
    (Level.HIGH, Level.HIGH): Priority.P1,
    (Level.HIGH, Level.MEDIUM): Priority.P2,
    (Level.MEDIUM, Level.HIGH): Priority.P2,
    (Level.HIGH, Level.LOW): Priority.P3,
    (Level.MEDIUM, Level.MEDIUM): Priority.P3,
    (Level.LOW, Level.HIGH): Priority.P3,
    (Level.MEDIUM, Level.LOW): Priority.P4,
    (Level.LOW, Level.MEDIUM): Priority.P4,
    (Level.LOW, Level.LOW): Priority.P4,
}


def priority_for(impact: str, urgency: str) -> str:
    return PRIORITY_MATRIX[Level(impact), Level(urgency)]


class Category(models.Model):
    """A service in the catalogue, and where problems with it are routed."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(
        _("short name"),
        max_length=80,
        unique=True,
        help_text=_("Used in addresses and the API, such as government-email."),
        error_messages={"unique": _("Another category already uses this short name.")},
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("belongs to agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="categories",
        help_text=_("Empty for a category every agency's staff can use."),
    )
    handling_agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_categories",
        help_text=_("Empty: the requester's own agency handles it."),
    )
    team = models.ForeignKey(
        "agencies.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="categories",
        help_text=_("The handling agency's team that receives these tickets."),
    )
    default_impact = models.CharField(
        _("default impact"), max_length=10, choices=Level.choices, default=Level.LOW
    )
    default_urgency = models.CharField(
        _("default urgency"), max_length=10, choices=Level.choices, default=Level.MEDIUM
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        if (
            self.team_id
            and self.handling_agency_id
            and self.team.agency_id != self.handling_agency_id
        ):
            raise ValidationError({"team": _("Choose a team of the handling agency.")})
        ancestor = self.parent
        while ancestor is not None:
            if self.pk and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A category cannot sit inside itself.")})
            ancestor = ancestor.parent


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=Ticket.OPEN_STATUSES)


class Ticket(models.Model):
    class Kind(models.TextChoices):
        INCIDENT = "incident", _("Incident")
        # A shared outage that other tickets attach to as children (the incidents app).
        MAJOR_INCIDENT = "major_incident", _("Major incident")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Waiting for the requester")
        ON_HOLD = "on_hold", _("On hold")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        EMAIL = "email", _("E-mail")
        API = "api", _("API")
        PHONE = "phone", _("Phone")
        SMS = "sms", _("SMS")
        USSD = "ussd", _("USSD")

    CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED)
    # Open tickets are named rather than "not closed": an index led by (agency, status) then
    # reads only the backlog, whose size does not grow with years of resolved history.
    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)

    reference = models.CharField(_("reference"), max_length=24, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INCIDENT)
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("handling agency"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    team = models.ForeignKey(
        "agencies.Team",
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requested_tickets",
    )
    requester_agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("requester's agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requested_tickets",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="tickets"
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), max_length=20000)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    impact = models.CharField(_("impact"), max_length=10, choices=Level.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Level.choices)
    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("major incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_tickets",
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="watched_tickets", blank=True
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # -- The SLA clock (tickets/sla.py keeps these; see ARCHITECTURE.md) --
    sla_policy = models.ForeignKey(
        "service_levels.SLAPolicy",
        verbose_name=_("service level"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # Business time used before `sla_running_since`, over earlier holdings and pauses.
    sla_used_seconds = models.PositiveIntegerField(default=0)
    # When the clock last started counting; empty while it is stopped (paused or resolved).
    sla_running_since = models.DateTimeField(null=True, blank=True)
    sla_paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    response_breached = models.BooleanField(_("response breached"), default=False)
    resolution_breached = models.BooleanField(_("resolution breached"), default=False)
    # How many escalation levels the ticket has reached, and which: levels are known by their
    # own id, so adding or removing a level on a policy in use neither skips nor repeats one.
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_level_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    next_escalation_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Bumped by every change; forms carry it so that two agents editing at once do not
    # silently overwrite each other.
    version = models.PositiveIntegerField(default=1)
    # Kept current by the services: subject, description and public replies; internal notes
    # apart, since only agents may search them.
    search_public = SearchVectorField(null=True, editable=False)
    search_notes = SearchVectorField(null=True, editable=False)

    objects = TicketQuerySet.as_manager()

    # Data protection: which text fields hold a person's data (privacy/).
    personal_data_fields = ("subject", "description")
    not_personal_fields = ("reference",)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["agency", "status", "-updated_at"], name="ticket_agency_queue"),
            models.Index(
                fields=["assignee", "status", "-updated_at"], name="ticket_assignee_queue"
            ),
            models.Index(fields=["team", "status", "-updated_at"], name="ticket_team_queue"),
            models.Index(fields=["requester", "-updated_at"], name="ticket_requester_list"),
            models.Index(
                fields=["agency", "priority", "created_at"], name="ticket_agency_priority"
            ),
            # The open backlog as the dashboards count it (by status, priority, team, agent
            # and age): read from the index alone, without a visit to each open ticket.
            models.Index(
                fields=["agency", "status", "priority", "team", "assignee", "created_at"],
                name="ticket_open_backlog",
                condition=Q(status__in=["new", "open", "pending", "on_hold"]),
            ),
            # Tickets by channel over a period (channels/figures.py): counted from the index
            # alone, for one agency and for all, without a visit to each ticket of the period.
            models.Index(
                fields=["agency", "created_at"],
                name="ticket_agency_created",
                include=["channel", "kind"],
            ),
            models.Index(
                fields=["created_at"],
                name="ticket_created_channel",
                include=["channel", "kind", "agency"],
            ),
            GinIndex(fields=["search_public"], name="ticket_search_public"),
            GinIndex(fields=["search_notes"], name="ticket_search_notes"),
            GinIndex(fields=["subject"], name="ticket_subject_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(
                fields=["reference"], name="ticket_reference_trgm", opclasses=["gin_trgm_ops"]
            ),
            # The few major incidents, read on every "Report a problem" page and /status/.
            models.Index(
                fields=["-created_at"],
                name="ticket_major_incidents",
                condition=Q(kind="major_incident"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__in=["P1", "P2", "P3", "P4"]), name="ticket_priority_known"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="ticket_not_its_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def is_open(self) -> bool:
        return self.status not in self.CLOSED_STATUSES

    @property
    def is_major_incident(self) -> bool:
        return self.kind == self.Kind.MAJOR_INCIDENT

    # Django's own get_FOO_display rebuilds a dict of every choice on each call, hashing each
    # lazy label (a translation lookup apiece): a queue of 25 rows paid for 250 of them.
    def get_status_display(self) -> str:
        return _STATUS_LABELS.get(self.status, self.status)

    def get_priority_display(self) -> str:
        return _PRIORITY_LABELS.get(self.priority, self.priority)


_STATUS_LABELS = dict(Ticket.Status.choices)
_PRIORITY_LABELS = dict(Priority.choices)


class TicketCounter(models.Model):
    """The last ticket number given out per agency. Its row lock makes numbers unique and,
    taken as a creation's last step (tickets.services), gap-free without queueing creators."""

    agency = models.OneToOneField(
        "agencies.Agency", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.last_number}"


class TicketEvent(models.Model):
    """Append-only history of a ticket. A database trigger refuses UPDATE and DELETE."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Reported")
        REPLY = "reply", _("Reply")
        NOTE = "note", _("Internal note")
        STATUS = "status", _("Status changed")
        PRIORITY = "priority", _("Priority changed")
        TEAM = "team", _("Team changed")
        ASSIGNEE = "assignee", _("Assignee changed")
        CATEGORY = "category", _("Category changed")
        TRANSFER = "transfer", _("Transferred")
        MERGE = "merge", _("Merged")
        LINK = "link", _("Linked")
        WATCHER = "watcher", _("Watcher added")
        SLA = "sla", _("Service level changed")
        ESCALATION = "escalation", _("Escalated")
        INCIDENT = "incident", _("Major incident")
        TIME = "time", _("Time recorded")
        SATISFACTION = "satisfaction", _("Satisfaction answered")
        REDACTED = "redacted", _("Message redacted")
        PERSONAL_DATA = "personal_data", _("Personal data removed")

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_public = models.BooleanField(
        default=True, help_text=_("Shown to the requester and watchers.")
    )
    body = models.TextField(blank=True, max_length=20000)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    # Data protection: which text fields hold a person's data (privacy/).
    personal_data_fields = ("body", "data")

    class Meta:
        verbose_name = _("ticket event")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketevent_timeline")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class TicketHolding(models.Model):
    """A stretch of time one agency held a ticket, and the business time it used.

    The requester's clock runs on across transfers; the Council judges each agency on its own
    holdings, so a transfer near the deadline does not count against the receiver.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="holdings")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # The ticket's sla_used_seconds when the holding began, and what it used by the end.
    used_seconds_at_start = models.PositiveIntegerField(default=0)
    business_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["agency", "started_at"], name="holding_agency_start")]

    def __str__(self) -> str:
        return f"{self.ticket_id} at {self.agency_id} from {self.started_at:%Y-%m-%d}"


class TicketTransfer(models.Model):
    """A move between agencies. The sending agency keeps read access through it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="transfers")
    from_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="transfers_in"
    )
    reason = models.TextField(max_length=2000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    # Data protection: which text fields hold a person's data (privacy/).
    personal_data_fields = ("reason",)

    class Meta:
        indexes = [models.Index(fields=["from_agency", "ticket"], name="transfer_from_agency")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_agency_id} → {self.to_agency_id}"


class TicketLink(models.Model):
    """Two related tickets, stored once with the lower id first."""

    from_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    to_ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_ticket", "to_ticket"], name="ticketlink_once"),
            models.CheckConstraint(
                condition=Q(from_ticket__lt=models.F("to_ticket")), name="ticketlink_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_ticket_id} ↔ {self.to_ticket_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name says nothing about the upload: the original name is kept in a field.
    return f"attachments/{instance.ticket.agency_id}/{instance.ticket_id}/{instance.token}"


class Attachment(models.Model):
    """A file on a ticket message, stored outside any public path and served through a view."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(TicketEvent, on_delete=models.PROTECT, related_name="attachments")
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    # A picture's small preview, made on upload and stored beside the file; empty for
    # anything else, and for a picture too large or damaged to preview.
    preview = models.FileField(max_length=300, blank=True, default="")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    # Data protection: which text fields hold a person's data (privacy/).
    personal_data_fields = ("name",)
    not_personal_fields = ("token", "content_type")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class TimeEntry(models.Model):
    """Minutes an agent spent on a ticket, recorded with a reply or note.

    The agency worked for, its category and the requester's agency are kept as they were at
    the time, so that a later transfer or recategorisation does not rewrite past effort.
    """

    MAX_MINUTES = 24 * 60

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="time_entries")
    event = models.OneToOneField(
        TicketEvent, on_delete=models.PROTECT, related_name="time_entry", null=True, blank=True
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.PROTECT,
        related_name="time_entries",
    )
    # The agency whose staff did the work (the ticket's handling agency at the time).
    agency = models.ForeignKey(
        "agencies.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    # The agency the work was done for (the requester's).
    requester_agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("requester's agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="timeentry_ticket"),
            models.Index(fields=["agency", "created_at"], name="timeentry_agency"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=24 * 60), name="timeentry_minutes_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.minutes} min by {self.agent_id}"
