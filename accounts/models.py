from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields) -> "User":
        if not email:
            raise ValueError("Users must have an e-mail address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **fields)

    def get_by_natural_key(self, username: str) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: the e-mail address is the login; there are no usernames."""

    email = models.EmailField(
        _("e-mail address"),
        unique=True,
        error_messages={"unique": _("A user with this e-mail address already exists.")},
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    # Empty until the person chooses (on the sign-in page, the switcher or their profile):
    # until then pages follow their browser.
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
    )
    # The browser's language at their last sign-in, for e-mail to someone who never chose.
    browser_language = models.CharField(
        _("browser language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        db_default="",
    )
    # Off for someone whose speech input or stray keys would trigger them (WCAG 2.1.4);
    # shortcuts with a modifier key still work.
    single_key_shortcuts = models.BooleanField(
        _("single-key shortcuts"), default=True, db_default=True
    )
    is_staff = models.BooleanField(
        _("may use the Django admin"),
        default=False,
        help_text=_("Only platform administrators should have this."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    # Data protection: which text fields hold a person's data (privacy/).
    personal_data_fields = ("email", "full_name")
    not_personal_fields = ("password",)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    @property
    def language(self) -> str:
        """The language to write to this person in when no page request says it: e-mail."""
        return self.preferred_language or self.browser_language or settings.LANGUAGE_CODE

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    AGENCY_ADMIN = "agency_admin", _("Agency admin")
    COUNCIL = "council", _("CIO Council member")
    PLATFORM_ADMIN = "platform_admin", _("Platform admin")
    # Reads the access log and answers people's requests to see or erase their data: for one
    # agency, or government-wide when the membership names none.
    DATA_PROTECTION_OFFICER = "dpo", _("Data protection officer")


# Roles whose work is tied to one agency's queues and configuration.
AGENCY_STAFF_ROLES = (Role.AGENT, Role.AGENCY_ADMIN)
# Roles whose holders must set up MFA when the setting requires it.
MFA_REQUIRED_ROLES = (
    Role.AGENT,
    Role.AGENCY_ADMIN,
    Role.PLATFORM_ADMIN,
    Role.DATA_PROTECTION_OFFICER,
)


class Membership(models.Model):
    """What a person is in one agency; a person may hold several and switch between them.

    Council members and platform admins act government-wide and need no agency; a requester
    with no agency is a member of the public using an online government service.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["agency__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency"],
                nulls_distinct=False,
                name="membership_one_role_per_agency",
                violation_error_message=_("This person already has a role in this agency."),
            ),
            models.CheckConstraint(
                condition=~Q(role__in=AGENCY_STAFF_ROLES) | Q(agency__isnull=False),
                name="membership_staff_roles_need_agency",
                violation_error_message=_("Agents and agency admins belong to an agency."),
            ),
        ]

    def __str__(self) -> str:
        where = self.agency.code if self.agency_id else _("government-wide")
        return f"{self.user} · {self.get_role_display()} · {where}"


class ApiToken(models.Model):
    """A key for the REST API, belonging to one person and acting with their rights.

    Only a SHA-256 digest of the key is stored: the key itself is shown once, when made. The
    key has 256 random bits, so a plain digest (no salt, no slow hash) cannot be reversed,
    and it lets a request find its token with one indexed lookup. `prefix`, the key's first
    characters, is no secret: it tells tokens apart on the page that lists them.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=12)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    # Data protection: which text fields hold a person's data (privacy/).
    not_personal_fields = ("name", "prefix", "key_digest")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
