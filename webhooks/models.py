"""Agencies' webhook endpoints and the log of their deliveries."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.stored_secrets import StoredSecretUnreadable, secret_open, secret_seal
from mail.models import Outbox


class WebhookEvent(models.TextChoices):
    """What a webhook endpoint may subscribe to. Internal notes are never sent anywhere."""

    TICKET_CREATED = "ticket.created", _("A ticket is reported")
    TICKET_UPDATED = "ticket.updated", _("A ticket's status, priority, team or service changes")
    TICKET_COMMENTED = "ticket.commented", _("A public reply is added")
    TICKET_ASSIGNED = "ticket.assigned", _("A ticket is assigned")
    TICKET_TRANSFERRED = "ticket.transferred", _("A ticket moves to another agency")
    TICKET_ESCALATED = "ticket.escalated", _("A ticket reaches a service-level warning or breach")


class WebhookEndpoint(models.Model):
    """An address of an agency's own system that is told of its tickets' events, signed."""

    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
    )
    url = models.URLField(_("address"), max_length=500)
    # Fernet token of the signing secret (the receiver needs the secret itself to verify).
    secret_encrypted = models.TextField(editable=False)
    events = models.JSONField(_("events"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Data protection: which text fields hold a person's data (privacy/).
    not_personal_fields = ("url", "secret_encrypted", "events")

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["agency", "url", "id"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        return secret_open(
            self.secret_encrypted,
            unreadable=StoredSecretUnreadable(
                "The webhook secret cannot be decrypted: SECRET_KEY or INBOUND_MAIL_KEY "
                "changed. Give the endpoint a new secret."
            ),
        )

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = secret_seal(value)


class WebhookDelivery(models.Model):
    """One attempt to deliver a webhook message: the log agency admins read."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    outbox = models.ForeignKey(Outbox, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    attempt = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="webhookdelivery_log")]

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.event} #{self.attempt}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
