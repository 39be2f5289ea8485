"""The knowledge base: articles in each official language, who may read them, and what they did.

An `Article` is the thing readers find and owners keep: its audience, owner agency, status and
review date. Its words live in one `ArticleVersion` per language; every saved change of words
or status leaves an `ArticleRevision`, so the history and its diffs are never rewritten.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Each official language and the PostgreSQL text-search configuration that stems it.
SEARCH_CONFIGS = {"en": "english", "fr": "french"}
DEFAULT_REVIEW_DAYS = 180


class Audience(models.TextChoices):
    PUBLIC = "public", _("Everyone, without signing in")
    CIVIL_SERVANTS = "civil_servants", _("Every civil servant")
    AGENCY = "agency", _("The owner agency's staff")
    AGENTS = "agents", _("IT agents only")


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    not_personal_fields = ("slug",)

    slug = models.SlugField(
        _("short name"),
        max_length=80,
        unique=True,
        help_text=_("Used in the article's address, such as reset-your-password."),
        error_messages={"unique": _("Another article already uses this short name.")},
    )
    owner_agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("owner agency"),
        on_delete=models.PROTECT,
        related_name="articles",
        help_text=_("Its agents keep the article; its agency admins publish it."),
    )
    category = models.ForeignKey(
        "tickets.Category",
        verbose_name=_("service"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
    )
    audience = models.CharField(
        _("who may read it"), max_length=20, choices=Audience.choices, default=Audience.PUBLIC
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    status_changed_at = models.DateTimeField(_("status changed"))
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("status changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    review_every_days = models.PositiveSmallIntegerField(
        _("review every (days)"), default=DEFAULT_REVIEW_DAYS
    )
    last_reviewed_at = models.DateTimeField(_("last reviewed"))
    # When the owner was last reminded of a due review: one reminder per due date.
    review_reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The ticket a draft was made from, when it was.
    source_ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["slug"]
        indexes = [
            models.Index(
                fields=["audience", "owner_agency"],
                name="article_published_audience",
                condition=Q(status="published"),
            ),
            models.Index(fields=["owner_agency", "status"], name="article_owner_status"),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def review_due_at(self):
        return self.last_reviewed_at + timedelta(days=self.review_every_days)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ArticleVersion(models.Model):
    """The article in one language: what readers of that language see and search."""

    # Written for every reader; a draft made from a ticket leaves the requester's data out.
    not_personal_fields = ("title", "summary", "body")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text"), max_length=50000)
    # Title (weight A), summary (B) and text (C), stemmed in the version's own language.
    search = SearchVectorField(null=True, editable=False)
    updated_at = models.DateTimeField(_("updated"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("article language version")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"],
                name="articleversion_one_per_language",
                violation_error_message=_("The article already has a text in this language."),
            ),
        ]
        # One of each per language, holding that language's versions only, so that a search
        # reads its language's matches alone: the whole text, the title's words on their own
        # (title matches rank first), and the title's trigrams for typing mistakes (GiST:
        # nearest first, without comparing every title). Articles change rarely: the GIN
        # indexes take each change at once (no fastupdate), so that no search ever reads a
        # list of pending entries one by one.
        indexes = [
            *(
                GinIndex(fields=["search"], name=f"articleversion_search_{code}",
                         condition=Q(language=code), fastupdate=False)
                for code in SEARCH_CONFIGS
            ),
            *(
                GinIndex(SearchVector("title", config=config),
                         name=f"articleversion_title_{code}", condition=Q(language=code),
                         fastupdate=False)
                for code, config in SEARCH_CONFIGS.items()
            ),
            *(
                GistIndex(fields=["title"], name=f"articleversion_typo_{code}",
                          opclasses=["gist_trgm_ops"], condition=Q(language=code))
                for code in SEARCH_CONFIGS
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.article_id} {self.language}: {self.title}"


class ArticleRevision(models.Model):
    """One saved state of a language version, or a change of status: append-only history."""

    not_personal_fields = ("language", "title", "body", "note")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    language = models.CharField(max_length=10, blank=True)
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    # The article's status after this change.
    status = models.CharField(max_length=20, choices=Article.Status.choices)
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["article", "-created_at"], name="articlerevision_history")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.language} {self.created_at:%Y-%m-%d %H:%M}"


class Deflection(models.Model):
    """A requester found their answer in an article and reported nothing."""

    personal_data_fields = ("query",)

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="deflections")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The requester's agency when it happened: figures count it there.
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What they were about to report.
    query = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["agency", "created_at"], name="deflection_agency_day")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.created_at:%Y-%m-%d}"


class ArticleFeedback(models.Model):
    """A reader's "helpful" or "not helpful"; a signed-in reader's latest answer counts."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    helpful = models.BooleanField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=Q(user__isnull=False),
                name="articlefeedback_once_per_reader",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"


class ArticleUse(models.Model):
    """An agent answered a ticket with the article (its link in a public reply)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="uses")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "ticket"], name="articleuse_once"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} on {self.ticket_id}"
