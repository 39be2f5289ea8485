"""The demo government comes with a few help articles, in English and French."""

from django.core.management import call_command

from knowledge.models import Article


def test_it_seeds_published_articles_in_both_languages_once(db, settings, client):
    settings.DEBUG = True
    call_command("seed_demo", "--tickets", "0")
    call_command("seed_demo", "--tickets", "0")
    articles = Article.objects.filter(status="published")
    assert articles.count() == 4
    assert all(
        sorted(a.versions.values_list("language", flat=True)) == ["en", "fr"] for a in articles
    )
    page = client.get("/help/reset-your-password/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Réinitialiser votre mot de passe du gouvernement" in page
