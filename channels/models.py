"""Phones and the messages they send: mobile numbers confirmed by SMS, the SMS that came in
(kept only as long as needed), the USSD sessions that opened or answered a ticket, and the
satisfaction questions asked by SMS."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PhoneNumber(models.Model):
    """A person's mobile number. Only a confirmed number is matched to its owner."""

    personal_data_fields = ("number",)
    not_personal_fields = ("code_digest",)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="phone_number",
    )
    # E.164: "+" and up to 15 digits.
    number = models.CharField(_("mobile number"), max_length=16)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    sms_updates = models.BooleanField(
        _("news of my tickets by SMS"),
        default=False,
        help_text=_("Replies from the help desk and resolutions, in short text messages."),
    )
    # A digest of the confirmation code last sent, never the code itself.
    code_digest = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mobile number")
        verbose_name_plural = _("mobile numbers")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(confirmed_at__isnull=False),
                name="phonenumber_confirmed_once",
                violation_error_message=_("Another person has already confirmed this number."),
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class InboundSms(models.Model):
    """One text message received through a gateway.

    The gateway's message id makes a replayed callback a duplicate. A message that became (or
    joined) a ticket keeps no number and no text of its own: the ticket has them. One held
    from an unknown or unconfirmed number keeps both until the quarantine sweep deletes it.
    """

    personal_data_fields = ("sender", "text")
    not_personal_fields = ("gateway", "message_id")

    class State(models.TextChoices):
        PROCESSED = "processed", _("Added to a ticket")
        QUARANTINED = "quarantined", _("Quarantined")
        REFUSED = "refused", _("Refused")
        LIMITED = "limited", _("Over the rate limit")

    class Reason(models.TextChoices):
        NONE = "", _("None")
        UNKNOWN_SENDER = "unknown_sender", _("Number not known")
        UNCONFIRMED_SENDER = "unconfirmed", _("Number not confirmed")
        EMPTY = "empty", _("No text")
        TOO_LONG = "too_long", _("Text too long")
        REFERENCE_REFUSED = "reference", _("Sender may not reply to that ticket")
        NO_CATEGORY = "no_category", _("No service to report under")
        REFUSED = "refused", _("The ticket refused it")
        RATE_LIMITED = "rate_limited", _("Too many messages from this number")

    gateway = models.CharField(max_length=40)
    message_id = models.CharField(max_length=200)
    sender = models.CharField(_("from"), max_length=32, blank=True)
    text = models.TextField(_("text"), blank=True)
    phone = models.ForeignKey(
        PhoneNumber, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), db_index=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    reason_code = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("text message received")
        verbose_name_plural = _("text messages received")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "message_id"], name="inboundsms_once")
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.message_id} {self.state}"


class UssdSession(models.Model):
    """A USSD session that did something: the ticket it opened or the reply it added. The
    gateway may send the last step twice; the session id makes the second one a no-op."""

    gateway = models.CharField(max_length=40)
    session_id = models.CharField(max_length=200)
    phone = models.ForeignKey(PhoneNumber, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["gateway", "session_id"], name="ussdsession_once")
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.session_id}"


class SmsSatisfactionQuestion(models.Model):
    """ "Reply 1 good, 2 bad", asked once per resolution of an SMS requester's ticket; the
    next 1 or 2 from that number answers the latest unanswered question."""

    phone = models.ForeignKey(PhoneNumber, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    # The resolution asked about: one question per resolution, however often it is told.
    resolution_event = models.OneToOneField(
        "tickets.TicketEvent", on_delete=models.CASCADE, related_name="+"
    )
    asked_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["phone", "-asked_at"],
                name="smsquestion_open",
                condition=Q(answered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} asked {self.asked_at:%Y-%m-%d}"
