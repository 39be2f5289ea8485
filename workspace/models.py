"""The agent's tools: saved queue views, canned responses and macros.

Each belongs to one scope: a person (personal), a team, an agency, or the whole government.
Who may see and keep which is decided in workspace/selectors.py and accounts/permissions.py.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.models import Level, Ticket


class Scope(models.TextChoices):
    PERSONAL = "personal", _("Only me")
    TEAM = "team", _("My team")
    AGENCY = "agency", _("My whole agency")
    GOVERNMENT = "government", _("Every agency")


class SavedView(models.Model):
    """A filter and sort of the queue, kept as the query string of its GET form."""

    # A name and filters an agent chose: working tools, not data about a person.
    not_personal_fields = ("name", "query")

    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filters"), max_length=1000, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    scope = models.CharField(
        _("shared with"),
        max_length=12,
        choices=[(Scope.PERSONAL, Scope.PERSONAL.label), (Scope.TEAM, _("A team")),
                 (Scope.AGENCY, Scope.AGENCY.label)],
        default=Scope.PERSONAL,
    )  # fmt: skip
    # The agency whose queue it filters: the owner's when they saved it.
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    team = models.ForeignKey(
        "agencies.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["owner", "name"], name="savedview_owner"),
            models.Index(fields=["agency", "scope"], name="savedview_agency"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="team") & Q(team__isnull=False) & Q(agency__isnull=False))
                | (Q(scope="agency") & Q(team__isnull=True) & Q(agency__isnull=False))
                | (Q(scope="personal") & Q(team__isnull=True)),
                name="savedview_scope_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LibraryItem(models.Model):
    """What canned responses and macros share: a scope, its owner, and how often used."""

    scope = models.CharField(
        _("kept for"),
        max_length=12,
        choices=[(Scope.PERSONAL, Scope.PERSONAL.label), (Scope.AGENCY, Scope.AGENCY.label),
                 (Scope.GOVERNMENT, Scope.GOVERNMENT.label)],
        default=Scope.PERSONAL,
    )  # fmt: skip
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    usage_count = models.PositiveIntegerField(_("times used"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    @classmethod
    def scope_constraint(cls, name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=(Q(scope="government") & Q(agency__isnull=True) & Q(owner__isnull=True))
            | (Q(scope="agency") & Q(agency__isnull=False) & Q(owner__isnull=True))
            | (Q(scope="personal") & Q(owner__isnull=False) & Q(agency__isnull=True)),
            name=name,
        )


class CannedResponse(LibraryItem):
    """A reply kept ready, with a text per language; the requester's language is inserted.

    The texts may hold placeholders (workspace/placeholders.py) such as
    {{ requester.first_name }}, filled in when the response is inserted.
    """

    # Texts written to be reused for anyone; a person's details enter only through the
    # placeholders, filled in at insertion and stored with the reply, not here.
    not_personal_fields = ("title", "body_en", "body_fr")

    title = models.CharField(_("title"), max_length=120)
    body_en = models.TextField(_("text in English"), max_length=20000, blank=True)
    body_fr = models.TextField(_("text in French"), max_length=20000, blank=True)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title", "pk"]
        indexes = [
            models.Index(fields=["scope", "agency", "title"], name="response_scope"),
            models.Index(fields=["owner", "title"], name="response_owner"),
        ]
        constraints = [LibraryItem.scope_constraint("response_scope_consistent")]

    def __str__(self) -> str:
        return self.title

    def text_for(self, language: str) -> str:
        """The text in `language` (en, fr, or a variant such as fr-ca), else the other one."""
        texts = {"en": self.body_en, "fr": self.body_fr}
        wanted = (language or "en").split("-")[0].lower()
        return texts.get(wanted) or self.body_en or self.body_fr


class Macro(LibraryItem):
    """A canned response and field changes, applied to a ticket in one step."""

    not_personal_fields = ("name",)

    name = models.CharField(_("name"), max_length=120)
    response = models.ForeignKey(
        CannedResponse,
        verbose_name=_("response to send"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="macros",
    )
    status = models.CharField(
        _("set status to"), max_length=10, choices=Ticket.Status.choices, blank=True
    )
    impact = models.CharField(_("set impact to"), max_length=10, choices=Level.choices, blank=True)
    urgency = models.CharField(
        _("set urgency to"), max_length=10, choices=Level.choices, blank=True
    )
    team = models.ForeignKey(
        "agencies.Team",
        verbose_name=_("move to team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["scope", "agency", "name"], name="macro_scope"),
            models.Index(fields=["owner", "name"], name="macro_owner"),
        ]
        constraints = [
            LibraryItem.scope_constraint("macro_scope_consistent"),
            models.CheckConstraint(
                condition=Q(impact="", urgency="") | (~Q(impact="") & ~Q(urgency="")),
                name="macro_impact_with_urgency",
            ),
        ]

    def __str__(self) -> str:
        return self.name
