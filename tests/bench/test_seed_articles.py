"""The benchmark's knowledge base: published articles in English and French, written in bulk,
whose search documents are those knowledge.services writes, added once."""

from django.contrib.postgres.search import SearchVector
from django.db.models import Value

from bench import seeding
from knowledge.models import SEARCH_CONFIGS, Article, ArticleVersion, Audience


def test_it_seeds_published_articles_in_both_languages_once(mof, moh):
    assert seeding.seed_articles(seed_value=3, progress=lambda _message: None, count=40) == 40
    assert seeding.seed_articles(seed_value=3, progress=lambda _message: None, count=40) == 0
    articles = Article.objects.all()
    assert {a.status for a in articles} == {Article.Status.PUBLISHED}
    assert {a.owner_agency_id for a in articles} == {mof.pk, moh.pk}
    assert {a.audience for a in articles} <= set(Audience.values)
    assert len({a.audience for a in articles}) > 1
    assert sorted(ArticleVersion.objects.values_list("language", flat=True).distinct()) == [
        "en", "fr",
    ]  # fmt: skip
    assert ArticleVersion.objects.count() == 80


def test_it_builds_the_search_documents_as_the_services_do(mof):
    seeding.seed_articles(seed_value=3, progress=lambda _message: None, count=10)
    for version in ArticleVersion.objects.all():
        seeded = version.search
        config = SEARCH_CONFIGS[version.language]
        # What knowledge.services writes when a version is saved.
        ArticleVersion.objects.filter(pk=version.pk).update(
            search=SearchVector(Value(version.title), weight="A", config=config)
            + SearchVector(Value(version.summary), weight="B", config=config)
            + SearchVector(Value(version.body), weight="C", config=config)
        )
        version.refresh_from_db()
        assert version.search == seeded, version.title


def test_it_lets_the_help_search_find_the_seeded_articles(client, mof):
    seeding.seed_articles(seed_value=3, progress=lambda _message: None, count=200)
    found = client.get("/help/", {"q": "printer"}).context["found"]
    assert found and all("printer" in item.title.lower() for item in found[:3])
