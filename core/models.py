"""The kernel's tables: work recorded in a transaction to be done after it commits."""

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
