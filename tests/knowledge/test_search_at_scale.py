"""Search among many articles: the same queries however many there are, the best first, and
each audience kept to its readers in every part of the search (title, text, typing mistakes)."""

import pytest
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowledge.models import SEARCH_CONFIGS, Article, ArticleVersion, Audience
from knowledge.selectors import SEARCH_CANDIDATES

MANY = SEARCH_CANDIDATES + 100


def _many_articles(owner, count, *, title, body, audience=Audience.PUBLIC, prefix="bulk"):
    """Published articles in English and French, written in bulk, their search documents built
    as knowledge.services builds them."""
    now = timezone.now()
    articles = Article.objects.bulk_create(
        Article(slug=f"{prefix}-{number}", owner_agency=owner, audience=audience,
                status=Article.Status.PUBLISHED, status_changed_at=now, last_reviewed_at=now,
                created_at=now, updated_at=now)
        for number in range(count)
    )  # fmt: skip
    ArticleVersion.objects.bulk_create(
        ArticleVersion(article=article, language=language, title=f"{title} {number}", body=body,
                       updated_at=now)
        for number, article in enumerate(articles)
        for language in SEARCH_CONFIGS
    )  # fmt: skip
    for language, config in SEARCH_CONFIGS.items():
        ArticleVersion.objects.filter(language=language, search=None).update(
            search=SearchVector("title", weight="A", config=config)
            + SearchVector("summary", weight="B", config=config)
            + SearchVector("body", weight="C", config=config)
        )
    return articles


def _queries(client, path, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, params).status_code == 200
    return len(captured.captured_queries)


def test_it_searches_help_in_the_same_queries_among_many_articles(
    client, write_article, mof, mof_requester, django_assert_num_queries
):
    write_article(mof, "printer-offline", title="Printer offline")
    client.force_login(mof_requester)
    client.get("/help/", {"q": "printer"})
    few = _queries(client, "/help/", {"q": "printer"})
    _many_articles(mof, MANY, title="Printer offline", body="Restart the printer.")
    with django_assert_num_queries(few):
        response = client.get("/help/", {"q": "printer"})
    assert len(response.context["found"]) == 20
    client.logout()
    # Signed out: the search is the only query.
    with django_assert_num_queries(1):
        client.get("/help/", {"q": "printer offline"})


def test_it_suggests_in_the_same_queries_among_many_articles(
    client, write_article, mof, mof_requester, django_assert_num_queries
):
    _many_articles(mof, MANY, title="VPN drops", body="Reconnect the VPN.")
    client.force_login(mof_requester)
    client.get("/help/suggest/", {"subject": "vpn"})
    # session, user, memberships (the acting membership), the search.
    with django_assert_num_queries(4):
        response = client.get("/help/suggest/", {"subject": "vpn drops"})
    assert len(response.context["found"]) == 5


def test_it_ranks_a_title_match_above_many_text_matches(client, write_article, mof):
    _many_articles(mof, MANY, title="Network notice", body="The printer on each floor is offline.")
    write_article(mof, "printer-offline", title="Printer offline", body="Switch it on.")
    found = client.get("/help/", {"q": "printer offline"}).context["found"]
    assert found[0].slug == "printer-offline"
    assert len(found) == 20


def test_it_finds_a_typing_mistake_among_many_articles(client, write_article, mof):
    _many_articles(mof, MANY, title="Mailbox full", body="Empty the deleted items.")
    write_article(mof, "password", title="Reset your password")
    found = client.get("/help/", {"q": "pasword"}).context["found"]
    assert [item.slug for item in found] == ["password"]


def test_it_shows_the_readers_language_first_among_many_articles(client, write_article, mof):
    _many_articles(mof, MANY, title="VPN", body="Le VPN se reconnecte tout seul.")
    write_article(
        mof, "vpn-set-up", title="Set up the VPN",
        french=("Configurer le VPN", "Installez le client VPN."),
    )  # fmt: skip
    found = client.get("/help/", {"q": "configurer vpn", "lang": "fr"}).context["found"]
    assert (found[0].slug, found[0].title, found[0].other_language) == (
        "vpn-set-up", "Configurer le VPN", False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("anonymous", {Audience.PUBLIC}),
        ("moh_requester", {Audience.PUBLIC, Audience.CIVIL_SERVANTS}),
        ("mof_requester", {Audience.PUBLIC, Audience.CIVIL_SERVANTS, Audience.AGENCY}),
        ("moh_agent", {Audience.PUBLIC, Audience.CIVIL_SERVANTS, Audience.AGENTS}),
    ],
)
@pytest.mark.parametrize(
    ("query", "part"), [("cartridge", "text"), ("Toner emty", "typo"), ("toner empty", "title")]
)
def test_it_keeps_each_audience_to_its_readers_in_every_part_of_the_search(
    client, request, write_article, mof, persona, sees, query, part
):
    for audience in Audience.values:
        write_article(
            mof, f"toner-{audience}".replace("_", "-"), title=f"Toner empty {audience}",
            body="Change the cartridge.", audience=audience,
        )  # fmt: skip
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    found = client.get("/help/", {"q": query}).context["found"]
    assert {item.article.audience for item in found} == sees, part
