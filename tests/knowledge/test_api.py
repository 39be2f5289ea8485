"""/api/v1/articles/: search with q and lang, one article, and writing for editors."""

from knowledge.models import Article


def test_it_searches_in_the_language_asked_for(client, write_article, mof, mof_requester):
    write_article(
        mof, "vpn", title="VPN drops", french=("Le VPN se coupe", "Relancez le client VPN.")
    )
    client.force_login(mof_requester)
    [found] = client.get("/api/v1/articles/", {"q": "vpn", "lang": "fr"}).json()["results"]
    assert (found["slug"], found["language"], found["title"]) == ("vpn", "fr", "Le VPN se coupe")
    assert found["url"].endswith("/help/vpn/")


def test_it_refuses_an_unknown_language(client, mof_requester):
    client.force_login(mof_requester)
    response = client.get("/api/v1/articles/", {"q": "vpn", "lang": "de"})
    assert response.status_code == 400 and "lang" in response.json()


def test_it_gives_one_article_with_its_markdown(client, write_article, mof, mof_requester):
    write_article(mof, "vpn", title="VPN drops", body="**Restart** it.")
    client.force_login(mof_requester)
    article = client.get("/api/v1/articles/vpn/").json()
    assert (article["body"], article["languages"]) == ("**Restart** it.", ["en"])


def test_it_lets_an_agent_write_a_draft_for_their_agency(client, mof, mof_agent):
    client.force_login(mof_agent)
    response = client.post(
        "/api/v1/articles/",
        {"language": "en", "title": "Printer set-up", "body": "Add it by its address.",
         "audience": "civil_servants"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    article = Article.objects.get()
    assert (article.slug, article.status, article.owner_agency) == ("printer-set-up", "draft", mof)


def test_it_refuses_a_requester_writing_an_article(client, mof_requester):
    client.force_login(mof_requester)
    response = client.post(
        "/api/v1/articles/", {"language": "en", "title": "x", "body": "y"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403
    assert not Article.objects.exists()


def test_it_lets_the_admin_publish_and_refuses_the_agent(
    client, write_article, mof, mof_agent, mof_head
):
    write_article(mof, "vpn", title="VPN drops", publish=False)
    client.force_login(mof_agent)
    refused = client.patch(
        "/api/v1/articles/vpn/", {"language": "en", "status": "published"},
        content_type="application/json",
    )  # fmt: skip
    assert refused.status_code == 403
    client.force_login(mof_head)
    published = client.patch(
        "/api/v1/articles/vpn/", {"language": "fr", "title": "Le VPN se coupe",
                                  "body": "Relancez-le.", "status": "published"},
        content_type="application/json",
    )  # fmt: skip
    assert published.status_code == 200, published.json()
    assert published.json()["status"] == "published" and published.json()["languages"] == [
        "en",
        "fr",
    ]


def test_it_answers_404_for_another_agencys_draft(client, write_article, mof, moh_agent):
    write_article(mof, "vpn", title="VPN drops", publish=False)
    client.force_login(moh_agent)
    assert client.get("/api/v1/articles/vpn/").status_code == 404
    response = client.patch(
        "/api/v1/articles/vpn/", {"language": "en", "title": "Mine now"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 404


def test_it_searches_in_a_fixed_number_of_queries(
    client, write_article, mof, mof_requester, django_assert_num_queries
):
    for number in range(6):
        write_article(mof, f"vpn-{number}", title=f"VPN drops {number}")
    client.force_login(mof_requester)
    client.get("/api/v1/articles/", {"q": "vpn"})
    # session, user, memberships, the search.
    with django_assert_num_queries(4):
        assert len(client.get("/api/v1/articles/", {"q": "vpn"}).json()["results"]) == 6


def test_it_is_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/articles/" in schema
    assert "/api/v1/tickets/{reference}/satisfaction/" in schema
