"""Sign-in, sign-out, the rate limit, and the Django admin's login going through allauth."""

from django.conf import settings


def sign_in(client, email, password):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_it_signs_in_with_the_right_password(client, mof_requester, password):
    response = sign_in(client, "requester@mof.gov.test", password)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(mof_requester.pk)


def test_it_signs_in_whatever_the_case_of_the_address(client, mof_requester, password):
    sign_in(client, "Requester@MOF.gov.test", password)
    assert client.session["_auth_user_id"] == str(mof_requester.pk)


def test_it_refuses_a_wrong_password_with_a_clear_message(client, mof_requester):
    response = sign_in(client, "requester@mof.gov.test", "wrong password")
    assert response.status_code == 200
    page = response.content.decode()
    assert "error-summary" in page
    assert "The email address and/or password you specified are not correct." in page
    assert "_auth_user_id" not in client.session


def test_it_gives_an_unknown_address_the_same_message(client, db):
    response = sign_in(client, "nobody@mof.gov.test", "whatever password")
    assert response.status_code == 200
    assert "are not correct" in response.content.decode()


def test_it_locks_out_after_too_many_failures(client, mof_requester, password):
    for _ in range(settings.LOGIN_FAILURES_ALLOWED):
        sign_in(client, "requester@mof.gov.test", "wrong password")
    response = sign_in(client, "requester@mof.gov.test", password)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_signs_out(client, mof_requester):
    client.force_login(mof_requester)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_sends_the_admin_login_through_allauth(client, db):
    response = client.get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_it_keeps_non_staff_out_of_the_django_admin(client, mof_head):
    client.force_login(mof_head)
    assert client.get("/django-admin/").status_code in (302, 403)


def test_it_sends_a_password_reset_email(client, mof_requester, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": "requester@mof.gov.test"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["requester@mof.gov.test"]
