import uuid

import pghistory
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Role
from agencies.models import Agency, AgencyDomain, Team
from mail.models import InboundMailbox
from service_levels.models import BusinessCalendar, EscalationLevel, Holiday, SLAPolicy
from tickets.models import Category
from webhooks.models import WebhookEndpoint

DEFAULT_RETENTION_DAYS = 3 * 365
MINIMUM_RETENTION_DAYS = 30


class AccessLogEntry(models.Model):
    """One read of a person's data: who, acting as what, read which record, when and from where.

    Append-only: the database refuses updates and deletes (migration 0002), except inside an
    erasure, which pseudonymises the erased person's traces here too.
    """

    class Kind(models.TextChoices):
        TICKET = "ticket", _("Ticket page")
        API_TICKET = "api_ticket", _("Ticket through the API")
        ATTACHMENT = "attachment", _("Attachment download")
        EXPORT = "export", _("Export")
        SEARCH = "search", _("Search results")

    # Made when the read happens, so that a batch flushed twice is stored once.
    key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(_("when"), default=timezone.now)
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reader"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The membership the reader acted as; a plain id, since memberships come and go.
    membership_id = models.BigIntegerField(null=True, blank=True)
    role = models.CharField(_("acting as"), max_length=20, choices=Role.choices, blank=True)
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The person whose record was read: the ticket's requester.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person read about"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The agency whose record was read (the ticket's), else the reader's acting agency.
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The ticket reference, file, export or search words.
    target = models.CharField(_("record"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    personal_data_fields = ("target", "ip_address")

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log entries")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["agency", "-at"], name="accesslog_agency_at"),
            models.Index(fields=["reader", "-at"], name="accesslog_reader_at"),
            models.Index(fields=["subject", "-at"], name="accesslog_subject_at"),
            models.Index(fields=["ticket", "-at"], name="accesslog_ticket_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.reader_id} {self.kind} {self.target}"


class RetentionPolicy(models.Model):
    """How long an agency's closed tickets keep their personal data (three years unless set)."""

    agency = models.OneToOneField(
        Agency,
        verbose_name=_("agency"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="retention_policy",
    )
    keep_days = models.PositiveIntegerField(
        _("keep personal data of closed tickets for (days)"),
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(MINIMUM_RETENTION_DAYS)],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(keep_days__gte=MINIMUM_RETENTION_DAYS),
                name="retention_at_least_thirty_days",
                violation_error_message=_("Keep personal data for at least 30 days."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.keep_days}"


class LegalHold(models.Model):
    """Stops retention and erasure for one ticket or one person until released."""

    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(_("reason"), max_length=2000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)

    # The reason describes a case, never the person held.
    not_personal_fields = ("reason",)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ticket__isnull=True) ^ Q(person__isnull=True),
                name="legal_hold_on_ticket_or_person",
                violation_error_message=_("A hold is on one ticket or on one person."),
            )
        ]

    def __str__(self) -> str:
        return f"hold {self.pk}"


class RetentionMark(models.Model):
    """A ticket whose personal data retention has removed: one row, so a second run skips it."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    attachments_deleted = models.PositiveIntegerField(default=0)
    messages_cleared = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket past retention")
        verbose_name_plural = _("tickets past retention")

    def __str__(self) -> str:
        return str(self.ticket_id)


class Erasure(models.Model):
    """The skeleton an erasure leaves: that it happened, to which account, by whom and why."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"), max_length=2000)
    at = models.DateTimeField(default=timezone.now)
    # How many rows of each kind were pseudonymised and how many files deleted.
    counts = models.JSONField(default=dict)

    # The reason is the officer's, written to name the request, not the person.
    not_personal_fields = ("reason", "counts")

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"erasure {self.pk}"


# -- Configuration history ---------------------------------------------------------------------
# Database triggers record every insert, update and delete of the configuration, whatever made
# it (the admin, a service, a bulk update, a hand-written query). The event tables live here so
# that no other app carries a migration for them.
def _history(model, *, exclude=()):
    # Fresh trackers for each model: a tracker takes the fields of the model it is bound to.
    return pghistory.create_event_model(
        model,
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        exclude=list(exclude),
        app_label="privacy",
        obj_field=pghistory.ObjForeignKey(db_constraint=False, related_name="+"),
    )


class AgencyHistory(_history(Agency)):
    not_personal_fields = ("code", "name", "time_zone", "pgh_label")


class AgencyDomainHistory(_history(AgencyDomain)):
    not_personal_fields = ("domain", "pgh_label")


class MembershipHistory(_history(Membership)):
    not_personal_fields = ("pgh_label",)


class TeamHistory(_history(Team)):
    not_personal_fields = ("name", "description", "pgh_label")


class CategoryHistory(_history(Category)):
    not_personal_fields = ("name", "slug", "description", "pgh_label")


class BusinessCalendarHistory(_history(BusinessCalendar)):
    not_personal_fields = ("time_zone", "weekly_hours", "pgh_label")


class HolidayHistory(_history(Holiday)):
    not_personal_fields = ("name", "pgh_label")


class SLAPolicyHistory(_history(SLAPolicy)):
    not_personal_fields = ("pgh_label",)


class EscalationLevelHistory(_history(EscalationLevel)):
    not_personal_fields = ("pgh_label",)


class WebhookEndpointHistory(_history(WebhookEndpoint, exclude=["secret_encrypted"])):
    not_personal_fields = ("url", "events", "pgh_label")


# The secrets are left out, and so is the state each poll writes: that is no configuration.
_MAILBOX_STATE = ["password_encrypted", "last_polled_at", "last_error", "last_error_at"]


class InboundMailboxHistory(_history(InboundMailbox, exclude=_MAILBOX_STATE)):
    not_personal_fields = ("address", "imap_host", "username", "folder", "pgh_label")


class RetentionPolicyHistory(_history(RetentionPolicy)):
    not_personal_fields = ("pgh_label",)


CONFIGURATION_HISTORY = (
    AgencyHistory,
    AgencyDomainHistory,
    MembershipHistory,
    TeamHistory,
    CategoryHistory,
    BusinessCalendarHistory,
    HolidayHistory,
    SLAPolicyHistory,
    EscalationLevelHistory,
    WebhookEndpointHistory,
    InboundMailboxHistory,
    RetentionPolicyHistory,
)
