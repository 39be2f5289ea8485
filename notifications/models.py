from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a person can be told about. Preferences are kept per kind."""

    TICKET_CREATED = "ticket_created", _("A new ticket for my team")
    AGENT_REPLY = "agent_reply", _("A reply from IT staff on my ticket")
    REQUESTER_REPLY = "requester_reply", _("A requester's reply on a ticket I handle")
    ASSIGNED = "assigned", _("A ticket assigned to me")
    TRANSFERRED = "transferred", _("A ticket moved to my team, or my ticket moved agency")
    RESOLVED = "resolved", _("My ticket resolved")
    ESCALATION = "escalation", _("A service-level warning or breach")
    INCIDENT = "incident", _("My ticket became part of a known major incident")
    RECEIVED = "received", _("My report received, and when to expect a first answer")
    MENTIONED = "mentioned", _("A colleague mentioned me in an internal note")
    REOPENED = "reopened", _("A ticket I handle reopened")


# Escalations reach the people responsible whatever their preferences say.
MANDATORY_KINDS = frozenset({Kind.ESCALATION})


class Preference(models.Model):
    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("Straight away")
        DIGEST = "digest", _("In a daily summary")
        OFF = "off", _("Never")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.mode}"


class Notice(models.Model):
    """An in-app notice; also what a daily digest is made of."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        "tickets.TicketEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Set when the notice is to go out in the recipient's next daily digest, cleared once sent.
    digest_pending = models.BooleanField(default=False)

    # Data protection: which text fields hold a person's data (privacy/).
    personal_data_fields = ("text",)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notice_inbox"),
            models.Index(
                fields=["digest_pending", "user"],
                name="notice_digest_due",
                condition=models.Q(digest_pending=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "kind"],
                name="notice_once_per_event",
                condition=models.Q(event__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.text


# -- Mail in ----------------------------------------------------------------------------------


# -- Webhooks ---------------------------------------------------------------------------------
