"""The kernel's tables: the audit log, idempotency keys, the scheduler's heartbeat, and
work recorded in a transaction to be done after it commits."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PendingWork(models.Model):
    """Work that must happen after a commit, written in the same transaction as the change.

    A row is drained by a task queued after the commit (or, for one ticket's change, at once
    in the committing process) and by a periodic sweep, so a lost message or a Redis outage
    delays the work and loses none. The row is locked and deleted in the transaction that does
    the work, so it is done exactly once however many drains race for it.
    """

    topic = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    # After a failure the row waits for its backoff; the reason stays for the operator.
    not_before = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("pending work")
        verbose_name_plural = _("pending work")
        indexes = [models.Index(fields=["not_before", "id"], name="pendingwork_due")]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class SchedulerHeartbeat(models.Model):
    """The last time Celery beat's periodic heartbeat task ran, one row per scheduler name."""

    name = models.CharField(max_length=50, unique=True)
    last_run_at = models.DateTimeField()

    class Meta:
        verbose_name = _("scheduler heartbeat")

    def __str__(self) -> str:
        return f"{self.name} at {self.last_run_at:%Y-%m-%d %H:%M:%S}"


class AuditEntry(models.Model):
    """Who changed what configuration, and when. Append-only: nothing edits or deletes it."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system made the change."),
    )
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)

    # Data protection: which text fields hold a person's data (privacy/).
    personal_data_fields = ("target", "data")
    not_personal_fields = ("action",)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a person sent with an API request that creates something.

    The unique constraint is what makes a retry safe: a second request with the same key waits
    for the first one's transaction and then finds its row, so two tickets are never made.
    The response is kept so that a retry receives exactly the first answer.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    # SHA-256 of the request body: the same key with another body is refused (422).
    request_digest = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    # Data protection: which text fields hold a person's data (privacy/).
    personal_data_fields = ("response_body",)
    not_personal_fields = ("key", "request_digest")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key}"
