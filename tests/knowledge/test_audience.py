"""Who reads which article: each audience against each persona, everywhere articles are shown:
search, /help/, an article's page, the intake suggestions and the API."""

import pytest

from accounts.models import Role
from knowledge.models import Audience
from knowledge.selectors import articles_published_for, articles_search
from tests.factories import MembershipFactory, UserFactory

EVERYONE = {Audience.PUBLIC}
CIVIL = EVERYONE | {Audience.CIVIL_SERVANTS}
SEES = {
    "anonymous": EVERYONE,
    "citizen": EVERYONE,
    "mof_requester": CIVIL | {Audience.AGENCY},
    "moh_requester": CIVIL,
    "mof_agent": CIVIL | {Audience.AGENCY, Audience.AGENTS},
    "moh_agent": CIVIL | {Audience.AGENTS},
    "mof_head": CIVIL | {Audience.AGENCY, Audience.AGENTS},
    "council_member": CIVIL,
    "platform_admin": CIVIL | {Audience.AGENCY, Audience.AGENTS},
}


@pytest.fixture
def citizen(db):
    """A member of the public using an online government service: no agency."""
    user = UserFactory(email="citizen@mail.test", full_name="Ma Kebeh")
    MembershipFactory(user=user, agency=None, role=Role.REQUESTER)
    return user


def _sign_in(client, request, persona):
    if persona == "anonymous":
        return None
    user = request.getfixturevalue(persona)
    client.force_login(user)
    return user


def _expected(audience_articles, persona) -> set[str]:
    return {audience_articles[audience].slug for audience in SEES[persona]}


@pytest.mark.parametrize("persona", list(SEES))
def test_it_searches_only_what_the_persona_may_read(request, audience_articles, persona):
    from django.contrib.auth.models import AnonymousUser

    from accounts.selectors import membership_current_for

    user = AnonymousUser() if persona == "anonymous" else request.getfixturevalue(persona)
    membership, _ = membership_current_for(user, None)
    found = articles_search(articles_published_for(user, membership), "printer", language="en")
    assert {item.slug for item in found} == _expected(audience_articles, persona)


@pytest.mark.parametrize("persona", list(SEES))
def test_it_lists_on_help_only_what_the_persona_may_read(
    client, request, audience_articles, persona
):
    _sign_in(client, request, persona)
    response = client.get("/help/", {"q": "printer"})
    assert response.status_code == 200
    shown = {item.slug for item in response.context["found"]}
    assert shown == _expected(audience_articles, persona)


@pytest.mark.parametrize("persona", list(SEES))
def test_it_suggests_at_intake_only_what_the_persona_may_read(
    client, request, audience_articles, persona
):
    _sign_in(client, request, persona)
    response = client.get("/help/suggest/", {"subject": "printer jammed"})
    assert {item.slug for item in response.context["found"]} == _expected(
        audience_articles, persona
    )


@pytest.mark.parametrize("persona", list(SEES))
def test_it_opens_an_article_only_for_its_audience(client, request, audience_articles, persona):
    user = _sign_in(client, request, persona)
    for audience, article in audience_articles.items():
        response = client.get(f"/help/{article.slug}/")
        if audience in SEES[persona]:
            assert response.status_code == 200, (persona, audience)
        elif user is None:
            # Signed out, anything not public asks to sign in, as a missing article does.
            assert response.status_code == 302, audience
            assert response["Location"].startswith("/accounts/login/")
        else:
            assert response.status_code == 404, (persona, audience)


@pytest.mark.parametrize("persona", [p for p in SEES if p != "anonymous"])
def test_it_answers_the_api_search_only_with_what_the_persona_may_read(
    client, request, audience_articles, persona
):
    _sign_in(client, request, persona)
    response = client.get("/api/v1/articles/", {"q": "printer", "lang": "en"})
    assert response.status_code == 200
    slugs = {item["slug"] for item in response.json()["results"]}
    assert slugs == _expected(audience_articles, persona)


def test_it_keeps_drafts_to_the_owner_agencys_staff(
    client, write_article, mof, mof_agent, moh_agent
):
    draft = write_article(mof, "new-vpn", title="VPN set-up", publish=False)
    client.force_login(moh_agent)
    assert client.get(f"/help/{draft.slug}/").status_code == 404
    assert client.get("/help/", {"q": "vpn"}).context["found"] == []
    client.force_login(mof_agent)
    assert client.get(f"/help/{draft.slug}/").status_code == 200
    # Not even its editors find a draft by searching: search is for readers.
    assert client.get("/help/", {"q": "vpn"}).context["found"] == []


def test_it_refuses_an_agents_only_article_to_a_requester(client, audience_articles, mof_requester):
    client.force_login(mof_requester)
    article = audience_articles[Audience.AGENTS]
    assert client.get(f"/help/{article.slug}/").status_code == 404
    assert client.get(f"/api/v1/articles/{article.slug}/").status_code == 404
