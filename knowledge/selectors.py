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

from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import Membership, User
from accounts.permissions import Right, membership_has_right, sees_all_agencies
from knowledge.models import SEARCH_CONFIGS, Article, ArticleVersion, Audience, Deflection

SUGGESTIONS_LIMIT = 5
SEARCH_LIMIT = 20


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
    """The readable articles that best match `query`, best first: one query, whose cost does
    not grow with the number of articles.

    Full text in each version's own language (stemmed, so "printers" finds "printer"): the
    reader's language first, and in each language the versions whose title holds every word
    before those whose text does. When full text finds nothing, a trigram match on the title
    catches typing mistakes ("pasword"). An article with no version in the reader's language
    is found by the other language's.
    """
    query = " ".join(query.split())[:200]
    if not query:
        return []
    language = reader_language(language)
    try:
        readable_sql, readable_params = articles.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return []
    sql, params = _search_sql(readable_sql, list(readable_params), query, language, limit)
    with connections[articles.db].cursor() as cursor:
        cursor.execute(sql, params)
        matches = cursor.fetchall()
    agency_model = Article._meta.get_field("owner_agency").related_model
    models = (ArticleVersion, Article, agency_model)
    widths = [len(_search_fields(model)) for model in models]
    ranked = []
    for tier, rank, *values in matches:
        version, article, agency = _instances(articles.db, models, widths, values)
        article.owner_agency = agency
        version.article = article
        ranked.append((tier, -rank, article.pk, version))
    found: dict[int, Found] = {}
    for _tier, _rank, article_id, version in sorted(ranked, key=lambda row: row[:3]):
        if article_id not in found:
            found[article_id] = Found(version.article, version, version.language != language)
    return list(found.values())[:limit]


# The parts of a search, best first: full text in the reader's language (every word in the
# title, then anywhere in the text), the same in the other language, then, only when full text
# found nothing, titles like what was typed in each language. The full-text parts use the
# partial GIN indexes of their language; the typing mistakes its partial GiST trigram index.
SEARCH_PARTS = ("title", "text")
# How many matches of a part are ranked: enough to hold the best, and bounded, so that a word
# found in every article costs no more than a rare one.
SEARCH_CANDIDATES = 200
# How many matches an index gives are read to find the candidates a person may read.
MATCHES_READ = 4 * SEARCH_CANDIDATES
_VERSION_LEFT_OUT = {"body", "search"}


def _search_fields(model) -> list:
    left_out = _VERSION_LEFT_OUT if model is ArticleVersion else set()
    return [f for f in model._meta.concrete_fields if f.attname not in left_out]


def _instances(using: str, models, widths, values) -> list:
    instances, start = [], 0
    for model, width in zip(models, widths, strict=True):
        fields = _search_fields(model)
        chunk = values[start : start + width]
        instances.append(model.from_db(using, [f.attname for f in fields], chunk))
        start += width
    return instances


def _search_sql(readable_sql: str, readable_params: list, query: str, language: str, rows: int):
    """The SQL of `articles_search` and its parameters. The languages and their text-search
    configurations are the application's own constants, written into the SQL so that the
    partial indexes of each language apply; what was typed is a parameter."""
    languages = [language, *(code for code in SEARCH_CONFIGS if code != language)]
    parts, found_sql, found_params, typo_parts, typo_sql, typo_params = [], [], [], [], [], []
    for code in languages:
        config = SEARCH_CONFIGS[code]
        words = f"websearch_to_tsquery('{config}'::regconfig, %s)"
        # An article found in a language before is not found again: every row is another
        # article, so `rows` rows are enough.
        found_before = "".join(
            f" AND v.article_id NOT IN (SELECT article_id FROM {name})"  # noqa: S608
            for name in parts
        )
        matches = {
            # Every word in the title: the title's own tsvector, the expression of its index.
            "title": f"to_tsvector('{config}'::regconfig, COALESCE(v.title, '')) @@ {words}",
            # Every word anywhere in the text, the title's matches already found left out.
            "text": f"v.search @@ {words} AND v.id NOT IN (SELECT id FROM title_{code})",  # noqa: S608
        }
        for part in SEARCH_PARTS:
            parts.append(f"{part}_{code}")
            # The first matches the index gives, no more than MATCHES_READ, then those the
            # person may read, then the best of them: each inner LIMIT is a fence the planner
            # keeps, so that a word found in every article reads no more rows than a rare one.
            found_sql.append(
                f"""{parts[-1]} AS MATERIALIZED (
                SELECT c.id, c.article_id, {len(found_sql)} AS tier,
                       ts_rank(c.search, {words}) AS rank
                FROM (SELECT m.id, m.article_id, m.search
                      FROM (SELECT v.id, v.article_id, v.search FROM knowledge_articleversion v
                            WHERE v.language = '{code}' AND {matches[part]}{found_before}
                            LIMIT {MATCHES_READ}) m
                      WHERE m.article_id IN ({readable_sql})
                      LIMIT {SEARCH_CANDIDATES}) c
                ORDER BY rank DESC, c.article_id LIMIT {rows})"""  # noqa: S608
            )
            found_params += [query, query, *readable_params]
    nothing_found = " UNION ALL ".join(f"SELECT 1 FROM {name}" for name in parts)  # noqa: S608
    for code in languages:
        typo_before = "".join(
            f" AND v.article_id NOT IN (SELECT article_id FROM {name})"  # noqa: S608
            for name in typo_parts
        )
        typo_parts.append(f"typo_{code}")
        # A title like what was typed (above pg_trgm's similarity threshold, 0.3 unless the
        # database sets another), nearest first, when full text found nothing. What was
        # typed comes through a subquery: the planner then does not compare it with every
        # sampled title to estimate how many match, which costs more than the search itself.
        typo_sql.append(
            f"""{typo_parts[-1]} AS MATERIALIZED (
                SELECT m.id, m.article_id, {len(parts) + len(typo_sql)} AS tier,
                       similarity(m.title, %s) AS rank
                FROM (SELECT v.id, v.article_id, v.title FROM knowledge_articleversion v
                      WHERE v.language = '{code}' AND v.title %% (SELECT %s::text)
                        AND NOT EXISTS ({nothing_found}){typo_before}
                      ORDER BY v.title <-> (SELECT %s::text) LIMIT {MATCHES_READ}) m
                WHERE m.article_id IN ({readable_sql})
                ORDER BY m.title <-> %s, m.article_id LIMIT {rows})"""  # noqa: S608
        )
        typo_params += [query, query, query, *readable_params, query]
    agency_model = Article._meta.get_field("owner_agency").related_model
    columns = ", ".join(
        f"{alias}.{connection.ops.quote_name(f.column)}"
        for alias, model in (("v", ArticleVersion), ("a", Article), ("g", agency_model))
        for f in _search_fields(model)
    )
    union = " UNION ALL ".join(
        f"SELECT id, article_id, tier, rank FROM {name}"  # noqa: S608
        for name in parts + typo_parts
    )
    # Appended in order, the parts stop being read once `rows` are found: a later part runs
    # only when the earlier ones found too few. A plain SELECT outside, as every read is.
    sql = f"""SELECT found.tier, found.rank, {columns}
        FROM (WITH {", ".join(found_sql + typo_sql)} {union} LIMIT {rows}) found
        JOIN knowledge_articleversion v ON v.id = found.id
        JOIN knowledge_article a ON a.id = v.article_id
        JOIN {agency_model._meta.db_table} g ON g.id = a.owner_agency_id"""  # noqa: S608
    return sql, found_params + typo_params


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
