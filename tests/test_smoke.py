def test_it_serves_the_home_page(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert b"GovDesk" in response.content


def test_it_shows_the_acting_role_in_the_header(client, mof_head):
    client.force_login(mof_head)
    response = client.get("/")
    assert b"Agency admin" in response.content
    assert b"Ministry of Finance" in response.content
