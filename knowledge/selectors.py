"""Every read of articles that crosses a permission line goes through here.

The one door is `articles_readable_by(user, membership)`:

- everyone, signed in or not, reads published public articles;
- a person acting for an agency (any role) also reads those for every civil servant, and
  those for their own agency's staff when their agency owns the article;
- a person who works tickets (an agent or agency admin of any agency) also reads those for
  agents only: shared answers are for every desk;
- the owner agency's editors also see its drafts, articles in review and archived ones;
- a platform admin sees all.

Anything else is a 404, for a missing article and a forbidden one alike.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramSimilarity
from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, Value, When
from django.http import Http404

from accounts.models import Membership, User
from accounts.permissions import Right, membership_has_right, sees_all_agencies
from knowledge.models import SEARCH_CONFIGS, Article, ArticleVersion, Audience, Deflection

SUGGESTIONS_LIMIT = 5
SEARCH_LIMIT = 20
# A trigram match on the title catches typing mistakes ("pasword"): above this similarity.
TITLE_SIMILARITY = 0.3


def _audiences_for(user: User, membership: Membership | None) -> Q:
    published = Q(status=Article.Status.PUBLISHED)
    if sees_all_agencies(membership):
        return published
    readable = Q(audience=Audience.PUBLIC)
    if user.is_authenticated and membership is not None:
        if membership.agency_id is not None or membership_has_right(
            membership, Right.VIEW_COUNCIL_DASHBOARD
        ):
            readable |= Q(audience=Audience.CIVIL_SERVANTS)
        if membership.agency_id is not None:
            readable |= Q(audience=Audience.AGENCY, owner_agency=membership.agency_id)
        if membership_has_right(membership, Right.WORK_QUEUE):
            readable |= Q(audience=Audience.AGENTS)
    return published & readable


def articles_readable_by(user: User, membership: Membership | None) -> QuerySet[Article]:
    articles = Article.objects.select_related("owner_agency", "category")
    if sees_all_agencies(membership):
        return articles
    door = _audiences_for(user, membership)
    if membership_has_right(membership, Right.EDIT_ARTICLES):
        door |= Q(owner_agency=membership.agency_id)
    return articles.filter(door)


def articles_published_for(user: User, membership: Membership | None) -> QuerySet[Article]:
    """What a person may read as a reader: published only, even for the owner's editors."""
    return Article.objects.filter(_audiences_for(user, membership)).select_related(
        "owner_agency", "category"
    )


def article_get_for_user(user: User, membership: Membership | None, slug: str) -> Article:
    article = articles_readable_by(user, membership).filter(slug=slug).first()
    if article is None:
        raise Http404
    return article


def article_get_for_editor(user: User, membership: Membership | None, slug: str) -> Article:
    """The article if the person may change it (an editor of its owner); 404 otherwise."""
    article = article_get_for_user(user, membership, slug)
    if not user_may_edit(membership, article):
        raise Http404
    return article


def user_may_edit(membership: Membership | None, article: Article) -> bool:
    return membership_has_right(membership, Right.EDIT_ARTICLES, article.owner_agency_id)


def user_may_publish(membership: Membership | None, article: Article) -> bool:
    return membership_has_right(membership, Right.PUBLISH_ARTICLES, article.owner_agency_id)


def reader_language(language: str | None) -> str:
    language = (language or "").split("-")[0].lower()
    return language if language in SEARCH_CONFIGS else "en"


@dataclass(frozen=True)
class Found:
    """An article as one reader sees it: in their language, or the other with a note."""

    article: Article
    version: ArticleVersion
    other_language: bool

    @property
    def slug(self) -> str:
        return self.article.slug

    @property
    def title(self) -> str:
        return self.version.title


def version_for(article: Article, language: str) -> tuple[ArticleVersion | None, bool]:
    """The reader's language version of an article whose versions are prefetched, else
    another; and whether it is another."""
    versions = list(article.versions.all())
    mine = next((v for v in versions if v.language == language), None)
    if mine is not None:
        return mine, False
    return (versions[0], True) if versions else (None, False)


def articles_search(
    articles: QuerySet[Article], query: str, *, language: str, limit: int = SEARCH_LIMIT
) -> list[Found]:
    """The readable articles that best match `query`, best first: one query.

    Full text in each version's own language (stemmed, so "printers" finds "printer"), or a
    trigram match on the title for typing mistakes. The reader's own language ranks first;
    an article with no version in it is found by the other language's.
    """
    query = " ".join(query.split())[:200]
    if not query:
        return []
    language = reader_language(language)
    matches = Q(title__trigram_similar=query)
    for code, config in SEARCH_CONFIGS.items():
        words = SearchQuery(query, config=config, search_type="websearch")
        matches |= Q(language=code, search=words)
    rank = (
        SearchRank(F("search"), SearchQuery(query, config=SEARCH_CONFIGS[language]))
        + TrigramSimilarity("title", query)
        + Case(When(language=language, then=Value(1.0)), default=Value(0.0))
    )
    versions = (
        ArticleVersion.objects.filter(article__in=articles.values("pk"))
        .filter(matches)
        .annotate(rank=rank)
        .select_related("article__owner_agency")
        .defer("body", "search")
        .order_by("-rank", "article_id")[: limit * 2]
    )
    found: dict[int, Found] = {}
    for version in versions:
        if version.article_id not in found:
            other = version.language != language
            found[version.article_id] = Found(version.article, version, other)
    return list(found.values())[:limit]


def articles_latest(
    articles: QuerySet[Article], *, language: str, limit: int = SEARCH_LIMIT
) -> list[Found]:
    """The most recently updated readable articles: /help/ before anything is searched."""
    language = reader_language(language)
    versions = ArticleVersion.objects.defer("body", "search").order_by("language")
    latest = articles.filter(status=Article.Status.PUBLISHED).order_by("-updated_at", "pk")
    found = []
    for article in latest.prefetch_related(Prefetch("versions", queryset=versions))[:limit]:
        version, other = version_for(article, language)
        if version is not None:
            found.append(Found(article, version, other))
    return found


def ticket_similar_articles(
    user: User, membership: Membership | None, ticket, *, language: str, limit: int = 5
) -> list[Found]:
    """The published articles an agent may read that are most like the ticket's subject."""
    readable = articles_published_for(user, membership)
    return articles_search(readable, ticket.subject, language=language, limit=limit)


def articles_of_agency(agency_id: int) -> QuerySet[Article]:
    """An agency's own articles, every status: its editors' list."""
    return (
        Article.objects.filter(owner_agency=agency_id)
        .select_related("status_changed_by")
        .prefetch_related(
            Prefetch("versions", queryset=ArticleVersion.objects.defer("body", "search"))
        )
        .order_by("status", "slug")
    )


# -- Figures for the dashboards ----------------------------------------------------------------


def _bounds(start, end, time_zone: str):
    zone = ZoneInfo(time_zone)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def deflections_by_agency(agency_ids, *, start, end, time_zone: str) -> dict[int, int]:
    """Problems each agency's people solved with an article instead of reporting: one query.
    They count for the requester's agency, whose desk they spared."""
    since, until = _bounds(start, end, time_zone)
    return dict(
        Deflection.objects.filter(
            agency__in=agency_ids, created_at__gte=since, created_at__lt=until
        )
        .values("agency_id")
        .annotate(count=Count("pk"))
        .values_list("agency_id", "count")
        .order_by()
    )


def deflections_of_agency(*, agency, start, end) -> list[dict]:
    """The agency's deflections in the period, by article, most first: one query."""
    since, until = _bounds(start, end, agency.time_zone)
    return list(
        Deflection.objects.filter(agency=agency, created_at__gte=since, created_at__lt=until)
        .values("article__slug")
        .annotate(count=Count("pk"))
        .order_by("-count", "article__slug")
    )
