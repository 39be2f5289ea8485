"""A person's language: what they last chose, else their browser's; signing in keeps it."""

from django.conf import settings

from accounts.models import User


def sign_in(client, password, **extra):
    return client.post(
        "/accounts/login/",
        {"login": "requester@mof.gov.test", "password": password},
        follow=True,
        **extra,
    )


def test_it_has_no_language_for_someone_who_never_chose(mof_requester):
    assert mof_requester.preferred_language == ""
    assert mof_requester.language == settings.LANGUAGE_CODE


def test_it_keeps_a_french_browser_in_french_after_signing_in(client, mof_requester, password):
    response = sign_in(client, password, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    page = response.content.decode()
    assert '<html lang="fr"' in page
    assert "Successfully signed in" not in page
    mof_requester.refresh_from_db()
    # Not a choice: only what to write e-mail in until they make one.
    assert (mof_requester.preferred_language, mof_requester.browser_language) == ("", "fr")
    assert mof_requester.language == "fr"


def test_it_keeps_the_language_chosen_on_the_sign_in_page(client, mof_requester, password):
    client.post("/language/", {"language": "fr", "next": "/accounts/login/"})
    response = sign_in(client, password, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="fr"' in response.content.decode()
    mof_requester.refresh_from_db()
    assert mof_requester.preferred_language == "fr"


def test_it_follows_the_profile_of_someone_who_chose_on_another_browser(
    client, mof_requester, password
):
    User.objects.filter(pk=mof_requester.pk).update(preferred_language="fr")
    response = sign_in(client, password, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="fr"' in response.content.decode()


def test_it_saves_the_switchers_choice_on_the_profile(client, mof_requester):
    client.force_login(mof_requester)
    response = client.post("/language/", {"language": "fr", "next": "/notices/"})
    assert response.status_code == 302
    assert response["Location"] == "/notices/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    mof_requester.refresh_from_db()
    assert mof_requester.preferred_language == "fr"


def test_it_refuses_a_language_not_offered_with_a_clear_message(client, mof_requester):
    client.force_login(mof_requester)
    response = client.post("/language/", {"language": "xx"}, follow=True)
    assert response.status_code == 200
    assert "GovDesk is not offered in that language" in response.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    mof_requester.refresh_from_db()
    assert mof_requester.preferred_language == ""


def test_it_lets_someone_go_back_to_their_browsers_language(client, mof_requester):
    client.force_login(mof_requester)
    client.post("/language/", {"language": "fr"})
    response = client.post("/profile/", {"full_name": "Musu", "preferred_language": ""})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # forgotten
    mof_requester.refresh_from_db()
    assert mof_requester.preferred_language == ""


def test_it_does_not_follow_an_off_site_next_after_signing_in(client, mof_requester, password):
    response = client.post(
        "/accounts/login/",
        {
            "login": "requester@mof.gov.test",
            "password": password,
            "next": "https://elsewhere.example/phish",
        },
    )
    assert response.status_code == 302
    assert "elsewhere.example" not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "The link you followed led outside GovDesk, so it was not opened." in page
