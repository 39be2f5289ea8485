"""The outbox every message leaves through, and the mailboxes mail comes in by."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.stored_secrets import StoredSecretUnreadable, secret_open, secret_seal


class Outbox(models.Model):
    """A message to send, written in the same transaction as the change it reports.

    A Celery task delivers it after commit; a periodic task re-queues what is still unsent, so
    a broker outage delays messages and loses none. The row's state is changed by
    compare-and-set, so a task delivered twice sends once.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")
        SMS = "sms", _("SMS")

    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_address = models.CharField(max_length=500)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # Extra headers (Reply-To, In-Reply-To, References...) and, for webhooks, the payload.
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # One message per (event, recipient, channel) at most, however often the event is handled.
    dedupe_key = models.CharField(max_length=200, unique=True)
    # Grouping: what happens to one ticket for one person within a short window leaves as one
    # message. The row waits until `hold_until`; meanwhile later news joins it (`group_key`)
    # and `parts` lists what it tells, in order, so that the writer can render it whole again.
    group_key = models.CharField(max_length=100, blank=True)
    hold_until = models.DateTimeField(null=True, blank=True)
    parts = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    # Data protection: which text fields hold a person's data (privacy/).
    personal_data_fields = (
        "to_address",
        "subject",
        "body_text",
        "body_html",
        "headers",
        "parts",
        "last_error",
    )
    not_personal_fields = ("message_id", "dedupe_key", "group_key")

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=models.Q(state__in=["pending", "sending"]),
            ),
            models.Index(
                fields=["group_key"],
                name="outbox_open_group",
                condition=models.Q(state="pending", attempts=0) & ~models.Q(group_key=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to_address}: {self.subject}"


class MailboxPasswordUnreadable(StoredSecretUnreadable):
    """The stored password was encrypted with a key GovDesk no longer has."""


class InboundMailbox(models.Model):
    """An agency's help-desk mailbox, read over IMAP. Replies to its tickets go to `address`."""

    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="inbound_mailboxes",
    )
    address = models.EmailField(
        _("address"),
        unique=True,
        error_messages={"unique": _("Another mailbox already has this address.")},
        help_text=_("Where people write to the agency's help desk, such as help@mof.gov.lr."),
    )
    imap_host = models.CharField(_("IMAP server"), max_length=253)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    username = models.CharField(_("user name"), max_length=320)
    # Fernet token; read and set through `password`. Never the password itself.
    password_encrypted = models.TextField(blank=True, editable=False)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    use_tls = models.BooleanField(
        _("use TLS"),
        default=True,
        help_text=_("Off only for a server on this machine: the password would cross in clear."),
    )
    default_category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("category for new tickets"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the agency's first active category, else a government-wide one."),
    )
    allow_new_requesters = models.BooleanField(
        _("accept people without an account"),
        default=False,
        help_text=_("Gives a stranger who writes in a requester account; off: quarantined."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(_("last read"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("inbound mailbox")
        verbose_name_plural = _("inbound mailboxes")
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address

    def save(self, *args, **kwargs) -> None:
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Before the unique check, so that Help@ and help@ are one address.
        self.address = self.address.strip().lower()

    @property
    def password(self) -> str:
        if not self.password_encrypted:
            return ""
        return secret_open(
            self.password_encrypted,
            unreadable=MailboxPasswordUnreadable(
                "The stored password cannot be decrypted: SECRET_KEY or INBOUND_MAIL_KEY "
                "changed. Enter the mailbox password again."
            ),
        )

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = secret_seal(value) if value else ""


class InboundMessage(models.Model):
    """One e-mail received, kept whole whatever became of it."""

    class State(models.TextChoices):
        PROCESSED = "processed", _("Added to a ticket")
        IGNORED = "ignored", _("Ignored")
        QUARANTINED = "quarantined", _("Quarantined")
        RELEASED = "released", _("Released from quarantine")
        DISCARDED = "discarded", _("Discarded")

    class Reason(models.TextChoices):
        NONE = "", _("None")
        LOOP = "loop", _("Sent by GovDesk itself")
        AUTO_REPLY = "auto_reply", _("Automatic reply")
        BOUNCE = "bounce", _("Delivery report")
        NO_SENDER = "no_sender", _("No sender")
        UNKNOWN_SENDER = "unknown_sender", _("Sender has no account")
        INACTIVE_SENDER = "inactive_sender", _("Sender's account is inactive")
        REPLY_NOT_ALLOWED = "reply_not_allowed", _("Sender may not reply to the ticket")
        NO_CATEGORY = "no_category", _("No category for new tickets")
        ATTACHMENT_REFUSED = "attachment_refused", _("An attachment was refused")
        TOO_LARGE = "too_large", _("Message too large")
        NO_TEXT = "no_text", _("No text")
        REFUSED = "refused", _("The ticket refused it")
        ERROR = "error", _("Could not be handled")
        SENDER_NOT_VERIFIED = "sender_unverified", _("Sender not verified")

    class SenderCheck(models.TextChoices):
        """What the receiving server's results and GovDesk's own DKIM check say of the sender."""

        PASSED = "passed", _("Sender verified")
        FAILED = "failed", _("Sender failed its checks")
        UNKNOWN = "", _("Sender not checked")

    mailbox = models.ForeignKey(
        InboundMailbox,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        help_text=_("Empty for a message piped to receive_email without a mailbox."),
    )
    # Normalised; a longer header is kept as its hash. Empty when the message had none.
    message_id = models.CharField(max_length=300, blank=True)
    # SHA-256 of the raw bytes.
    digest = models.CharField(max_length=64, db_index=True)
    # SHA-256 of the mailbox, the sender, the Message-ID and the content: a message is a
    # duplicate only of one like it in every part, so nobody can claim another's Message-ID.
    dedup_key = models.CharField(max_length=64)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received"), db_index=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    reason_code = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # Decided once, when the message arrives: a release does not ask DNS again.
    sender_check = models.CharField(
        _("sender check"), max_length=8, choices=SenderCheck.choices, blank=True, default=""
    )
    sender_check_detail = models.TextField(_("sender check details"), blank=True)
    # Reasons an admin chose to overlook when releasing it; a later release keeps them.
    released_reasons = models.JSONField(default=list, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    event = models.ForeignKey(
        "tickets.TicketEvent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    # Data protection: which text fields hold a person's data (privacy/).
    personal_data_fields = ("sender", "subject", "reason", "sender_check_detail")
    not_personal_fields = ("message_id", "digest", "dedup_key", "released_reasons")

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dedup_key"], name="inboundmessage_dedup_key_once")
        ]
        indexes = [
            models.Index(
                fields=["state", "mailbox", "-received_at"], name="inboundmessage_by_state"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sender or '?'}: {self.subject}"
