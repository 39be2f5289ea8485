"""Answers before tickets: suggestions while reporting, and "this solved my problem"."""

from knowledge.models import Audience, Deflection
from tickets.models import Ticket


def test_it_records_a_deflection_and_opens_no_ticket(client, write_article, mof, mof_requester):
    write_article(mof, "printer-jam", title="Printer jammed", audience=Audience.CIVIL_SERVANTS)
    client.force_login(mof_requester)
    response = client.post("/help/printer-jam/solved/", {"subject": "printer jammed again"})
    assert response.status_code == 302
    deflection = Deflection.objects.get()
    assert (deflection.user, deflection.agency, deflection.query) == (
        mof_requester, mof, "printer jammed again",
    )  # fmt: skip
    assert not Ticket.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was reported" in page


def test_it_suggests_at_most_five_articles(client, write_article, mof, mof_requester):
    for number in range(7):
        write_article(mof, f"vpn-{number}", title=f"VPN drops {number}")
    client.force_login(mof_requester)
    response = client.get("/help/suggest/", {"subject": "vpn drops"})
    assert len(response.context["found"]) == 5
    assert response.content.decode().count("This solved my problem") == 5


def test_it_suggests_nothing_for_an_empty_subject(client, write_article, mof):
    write_article(mof, "vpn", title="VPN drops")
    assert client.get("/help/suggest/", {"subject": "  "}).context["found"] == []


def test_it_suggests_in_a_fixed_number_of_queries(
    client, write_article, mof, mof_requester, django_assert_num_queries
):
    for number in range(6):
        write_article(mof, f"vpn-{number}", title=f"VPN drops {number}")
    client.force_login(mof_requester)
    client.get("/help/suggest/", {"subject": "vpn"})
    # session, user, memberships (the acting membership), the search: the partial shows no
    # header.
    with django_assert_num_queries(4):
        client.get("/help/suggest/", {"subject": "vpn drops"})


def test_it_checks_help_first_and_carries_the_subject_to_the_report_form(
    client, write_article, mof, mof_requester
):
    write_article(mof, "vpn", title="VPN drops every hour")
    client.force_login(mof_requester)
    check = client.get("/help/check/", {"subject": "VPN drops"})
    assert [item.slug for item in check.context["found"]] == ["vpn"]
    report = client.get(check.context["continue_url"])
    assert report.context["form"]["subject"].value() == "VPN drops"


def test_it_shows_the_suggestion_place_and_the_check_step_on_the_report_page(
    client, mof_requester, printer_category
):
    client.force_login(mof_requester)
    page = client.get("/tickets/new/").content.decode()
    assert 'id="intake-suggestions"' in page
    assert 'action="/help/check/"' in page
    assert "js/knowledge.js" in page
