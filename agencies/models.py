import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

AGENCY_CODE_VALIDATOR = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,11}$",
    _("Use 2 to 12 capital letters or digits, starting with a letter, such as MOF."),
)
DOMAIN_PATTERN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("%(value)s is not a known time zone; use a name such as Africa/Monrovia."),
            params={"value": value},
        ) from None


def validate_domain(value: str) -> None:
    if not DOMAIN_PATTERN.match(value):
        raise ValidationError(
            _("%(value)s is not an e-mail domain such as mof.gov.lr."), params={"value": value}
        )


class Agency(models.Model):
    """A ministry, agency or commission (MAC) of government, or a shared-service provider."""

    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("Ministry")
        AGENCY = "agency", _("Agency")
        COMMISSION = "commission", _("Commission")
        SHARED_SERVICE = "shared_service", _("Shared-service provider")

    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        validators=[AGENCY_CODE_VALIDATOR],
        help_text=_("Short capital letters, such as MOF. Ticket references start with it."),
        error_messages={"unique": _("Another agency already uses this code.")},
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MINISTRY)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("For a department inside a ministry, the ministry."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    is_active = models.BooleanField(_("active"), default=True)
    auto_close_days = models.PositiveSmallIntegerField(
        _("close resolved tickets after (business days)"),
        default=5,
        help_text=_("Without a reply from the requester."),
    )
    intake_team = models.ForeignKey(
        "Team",
        verbose_name=_("intake team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Receives tickets whose category names no team of this agency."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        if self.code:
            self.code = self.code.strip().upper()
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("An agency cannot sit inside itself.")})
            ancestor = ancestor.parent


class AgencyDomain(models.Model):
    """An e-mail domain whose addresses belong to the agency's staff."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(_("e-mail domain"), max_length=253, validators=[validate_domain])

    class Meta:
        verbose_name = _("e-mail domain")
        verbose_name_plural = _("e-mail domains")
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                Lower("domain"),
                name="agencydomain_domain_unique",
                violation_error_message=_("Another agency already has this e-mail domain."),
            ),
        ]

    def __str__(self) -> str:
        return self.domain

    def save(self, *args, **kwargs) -> None:
        self.domain = self.domain.strip().lower()
        super().save(*args, **kwargs)


class Team(models.Model):
    """A queue of work inside one agency, such as "Service desk" or "Network"."""

    class Assignment(models.TextChoices):
        NONE = "none", _("None: agents take tickets from the queue")
        ROUND_ROBIN = "round_robin", _("Round robin among the team's agents")
        FEWEST_OPEN = "fewest_open", _("The agent with the fewest open tickets")

    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="teams"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        "accounts.User", verbose_name=_("members"), related_name="teams", blank=True
    )
    assignment = models.CharField(
        _("automatic assignment"),
        max_length=20,
        choices=Assignment.choices,
        default=Assignment.NONE,
    )
    lead = models.ForeignKey(
        "accounts.User",
        verbose_name=_("team lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Told when the team's tickets breach their service level."),
    )
    # Round robin resumes after the agent who was given the last ticket.
    last_assigned_to = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Data protection: which text fields hold a person's data (privacy/).
    not_personal_fields = ("name", "description")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["agency__name", "name"]
        constraints = [
            models.UniqueConstraint(
                "agency",
                Lower("name"),
                name="team_name_unique_per_agency",
                violation_error_message=_("This agency already has a team with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name
