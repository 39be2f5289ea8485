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
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=models.Q(state__in=["pending", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.to_address}: {self.subject}"


# -- Mail in ----------------------------------------------------------------------------------


class MailboxPasswordUnreadable(Exception):
    """The stored password was encrypted with a key GovDesk no longer has."""


def _mailbox_fernet():
    """Encrypts with INBOUND_MAIL_KEY (else a key derived from SECRET_KEY); decrypts with that
    and the keys of SECRET_KEY_FALLBACKS, so a rotated SECRET_KEY does not lose passwords."""
    import base64

    from cryptography.fernet import Fernet, MultiFernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def derived(secret: str) -> Fernet:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"govdesk.notifications.InboundMailbox",
            info=b"imap password",
        ).derive(secret.encode())
        return Fernet(base64.urlsafe_b64encode(key))

    keys = [Fernet(settings.INBOUND_MAIL_KEY)] if settings.INBOUND_MAIL_KEY else []
    keys += [derived(secret) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]
    return MultiFernet(keys)


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
        from cryptography.fernet import InvalidToken

        try:
            return _mailbox_fernet().decrypt(self.password_encrypted.encode()).decode()
        except InvalidToken:
            raise MailboxPasswordUnreadable(
                "The stored password cannot be decrypted: SECRET_KEY or INBOUND_MAIL_KEY "
                "changed. Enter the mailbox password again."
            ) from None

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = (
            _mailbox_fernet().encrypt(value.encode()).decode() if value else ""
        )


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


# -- Webhooks ---------------------------------------------------------------------------------


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

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["agency", "url", "id"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return _mailbox_fernet().decrypt(self.secret_encrypted.encode()).decode()
        except InvalidToken:
            raise MailboxPasswordUnreadable(
                "The webhook secret cannot be decrypted: SECRET_KEY or INBOUND_MAIL_KEY "
                "changed. Give the endpoint a new secret."
            ) from None

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = _mailbox_fernet().encrypt(value.encode()).decode()


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
