"""Each token has its own rate, counted in Redis; beyond it, 429 with Retry-After."""


def test_it_answers_429_with_retry_after_beyond_the_rate(api, mof_requester, settings):
    settings.GOVDESK_API_THROTTLE_RATE = "3/minute"
    client = api(mof_requester)

    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/me/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_it_counts_each_token_apart(api, mof_requester, settings):
    settings.GOVDESK_API_THROTTLE_RATE = "2/minute"
    runaway, other = api(mof_requester), api(mof_requester)
    for _ in range(3):
        runaway.get("/api/v1/me/")

    assert runaway.get("/api/v1/me/").status_code == 429
    assert other.get("/api/v1/me/").status_code == 200


def test_it_refuses_a_rate_that_is_not_one(monkeypatch):
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from helpdesk.env import env_rate

    monkeypatch.setenv("API_THROTTLE_RATE", "lots")

    with pytest.raises(ImproperlyConfigured, match="API_THROTTLE_RATE"):
        env_rate("API_THROTTLE_RATE", "600/minute")
