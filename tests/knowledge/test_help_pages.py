"""/help/ and an article's page: the reader's language, the other with a note, few queries."""

from knowledge.models import ArticleFeedback


def test_it_shows_the_readers_language(client, write_article, mof):
    write_article(
        mof, "reset-password", title="Reset your password", body="Open the **portal**.",
        french=("Réinitialiser votre mot de passe", "Ouvrez le **portail**."),
    )  # fmt: skip
    english = client.get("/help/reset-password/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Reset your password" in english.content.decode()
    assert "<strong>portal</strong>" in english.content.decode()
    french = client.get("/help/reset-password/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Réinitialiser votre mot de passe" in french.content.decode()
    assert french.context["other_language"] is False


def test_it_shows_the_other_language_with_a_note(client, write_article, mof):
    write_article(mof, "vpn-fr-only", title="Configurer le VPN", language="fr")
    response = client.get("/help/vpn-fr-only/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["other_language"] is True
    assert 'lang="fr"' in response.content.decode()
    assert "not written in your language yet" in response.content.decode()


def test_it_finds_french_words_stemmed_in_french(client, write_article, mof):
    write_article(
        mof, "imprimante", title="Printer offline",
        french=("L'imprimante est hors ligne", "Redémarrez les imprimantes du bureau."),
    )  # fmt: skip
    response = client.get("/help/", {"q": "imprimantes", "lang": "fr"})
    [found] = response.context["found"]
    assert found.title == "L'imprimante est hors ligne"
    assert not found.other_language


def test_it_finds_a_title_despite_a_typing_mistake(client, write_article, mof):
    write_article(mof, "password", title="Reset your password")
    response = client.get("/help/", {"q": "pasword"})
    assert [item.slug for item in response.context["found"]] == ["password"]


def test_it_searches_help_in_a_fixed_number_of_queries(
    client, write_article, mof, mof_requester, django_assert_num_queries
):
    for number in range(8):
        write_article(mof, f"printer-{number}", title=f"Printer problem {number}")
    client.force_login(mof_requester)
    # session, user, memberships, the search (one query for every match), the rights of
    # the header (context processors: unread notices).
    with django_assert_num_queries(5, exact=False) as captured:
        response = client.get("/help/", {"q": "printer"})
    assert len(response.context["found"]) == 8
    search_queries = [
        q for q in captured.captured_queries if "knowledge_articleversion" in q["sql"]
    ]
    assert len(search_queries) == 1


def test_it_answers_the_public_search_in_two_queries_or_fewer(
    client, write_article, mof, django_assert_max_num_queries
):
    for number in range(5):
        write_article(mof, f"printer-{number}", title=f"Printer problem {number}")
    # The search itself; nothing else for a visitor who is not signed in.
    with django_assert_max_num_queries(1):
        response = client.get("/help/", {"q": "printer"})
    assert len(response.context["found"]) == 5


def test_it_records_helpful_and_not_helpful_once_per_reader(
    client, write_article, mof, mof_requester
):
    article = write_article(mof, "quota", title="Mailbox full")
    client.force_login(mof_requester)
    client.post("/help/quota/feedback/", {"helpful": "yes"})
    client.post("/help/quota/feedback/", {"helpful": "no"})
    assert list(
        ArticleFeedback.objects.filter(article=article).values_list("helpful", flat=True)
    ) == [False]


def test_it_refuses_feedback_that_is_neither_yes_nor_no(client, write_article, mof):
    write_article(mof, "quota", title="Mailbox full")
    response = client.post("/help/quota/feedback/", {"helpful": "maybe"}, follow=True)
    assert "Choose yes or no." in response.content.decode()
    assert not ArticleFeedback.objects.exists()
