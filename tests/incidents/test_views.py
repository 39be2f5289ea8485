"""The pages: the banner and "I am affected too", the ticket page, the owner's list and
actions, the services kept by platform admins, and the public status page."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core.tasks import drain_pending_work
from incidents import services
from incidents.models import GovService, IncidentAffected, ProposedIncident
from incidents.selectors import incidents_for_council
from notifications.models import Kind, Notice
from tickets import services as ticket_services
from tickets.models import Ticket


@pytest.fixture
def email_service(email_category, platform_admin):
    return services.gov_service_save(
        actor=platform_admin, name="Government e-mail", description="Mail for civil servants",
        categories=[email_category],
    )  # fmt: skip


@pytest.fixture
def update(email_incident, nicta_agent):
    return ticket_services.ticket_reply(
        ticket=email_incident, author=nicta_agent, body="A disk failed; replacing it now.",
        as_agent=True,
    )  # fmt: skip


# -- The banner on "Report a problem" ----------------------------------------------------------


def test_it_shows_the_known_incident_on_the_report_page(
    client, email_incident, moh_head, django_assert_num_queries
):
    client.force_login(moh_head)
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header), 1 categories,
    # 1 open incidents with owner, service and first report.
    with django_assert_num_queries(6):
        response = client.get("/tickets/new/")
    html = response.content.decode()
    assert "Known problem" in html
    assert "Government e-mail is down" in html
    assert "National ICT Agency is working on it" in html
    assert f'action="/incidents/{email_incident.reference}/affected/"' in html


def test_it_adds_the_person_affected_instead_of_a_new_ticket(client, email_incident, moh_head):
    client.force_login(moh_head)
    tickets_before = Ticket.objects.count()

    response = client.post(f"/incidents/{email_incident.reference}/affected/", follow=True)

    assert response.redirect_chain[-1][0] == f"/tickets/{email_incident.reference}/"
    assert "you are counted among the people affected" in response.content.decode()
    assert IncidentAffected.objects.filter(incident=email_incident, user=moh_head).exists()
    assert Ticket.objects.count() == tickets_before
    again = client.post(f"/incidents/{email_incident.reference}/affected/", follow=True)
    assert "already counted" in again.content.decode()
    assert IncidentAffected.objects.count() == 1


def test_it_answers_404_for_an_incident_that_is_over(client, email_incident, nicta_agent, moh_head):
    services.incident_resolve(incident=email_incident, actor=nicta_agent, note="Back.")
    client.force_login(moh_head)

    response = client.post(f"/incidents/{email_incident.reference}/affected/")

    assert response.status_code == 404
    assert "Known problem" not in client.get("/tickets/new/").content.decode()


REPORT = {"subject": "No mail", "description": "Nothing arrives.", "impact": "medium",
          "urgency": "high"}  # fmt: skip


def test_the_confirmation_names_the_incident_the_report_joins(
    client, email_incident, moh_head, email_category, committed, django_assert_num_queries
):
    client.force_login(moh_head)
    with committed():
        response = client.post("/tickets/new/", {"category": email_category.pk, **REPORT})
    ticket = Ticket.objects.get(requester=moh_head)
    assert ticket.parent_id is None  # the worker attaches it, a moment later

    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header), 1 the ticket,
    # 1 the open major incident it matches, with its owner agency.
    with django_assert_num_queries(6):
        page = client.get(response["Location"])
    html = page.content.decode()
    assert "Your problem is reported" in html
    assert "A major incident is open for this service" in html
    assert "Government e-mail is down" in html
    assert email_incident.reference in html

    drain_pending_work()  # the worker's turn: the report joins the incident it was shown
    ticket.refresh_from_db()
    assert ticket.parent == email_incident
    with django_assert_num_queries(6):  # attached: the page names its parent, as many queries
        html = client.get(response["Location"]).content.decode()
    assert "Government e-mail is down" in html


def test_the_confirmation_names_no_incident_when_none_matches(
    client, moh_head, email_category, committed, django_assert_num_queries
):
    client.force_login(moh_head)
    with committed():
        response = client.post("/tickets/new/", {"category": email_category.pk, **REPORT})

    with django_assert_num_queries(6):
        html = client.get(response["Location"]).content.decode()
    assert "Your problem is reported" in html
    assert "A major incident is open" not in html


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_a_real_worker_attaches_the_report_and_tells_the_reporter(
    celery_worker_process, client, email_incident, moh_head, email_category
):
    # Committed for real: the page confirms the report at once, naming the incident, and the
    # worker attaches the report and tells its reporter after the commit.
    client.force_login(moh_head)
    response = client.post("/tickets/new/", {"category": email_category.pk, **REPORT}, follow=True)

    html = response.content.decode()
    assert "Your problem is reported" in html
    assert "A major incident is open for this service" in html
    ticket = Ticket.objects.get(requester=moh_head)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        Notice.objects.filter(user=moh_head, kind=Kind.INCIDENT).exists()
        and Notice.objects.filter(user=moh_head, kind=Kind.RECEIVED).exists()
    ):
        assert celery_worker_process.poll() is None, "the worker exited"
        time.sleep(0.2)
    ticket.refresh_from_db()
    assert ticket.parent == email_incident
    assert Notice.objects.filter(user=moh_head, kind=Kind.INCIDENT).count() == 1
    assert Notice.objects.filter(user=moh_head, kind=Kind.RECEIVED).count() == 1


# -- The ticket page ---------------------------------------------------------------------------


def test_it_shows_a_child_its_incident_and_updates(
    client, email_incident, email_burst, update, django_assert_num_queries
):
    child = email_burst[2]
    client.force_login(child.requester)
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header), 1 ticket,
    # 1 events with their actors, 1 files of those events, 1 followers,
    # 1 the incident with owner, service and first report, 1 its public updates.
    with django_assert_num_queries(10):
        response = client.get(f"/tickets/{child.reference}/")
    html = response.content.decode()
    assert "Part of a known incident" in html
    assert "Government e-mail is down" in html
    assert "A disk failed; replacing it now." in html


def test_it_shows_the_owner_the_incidents_tickets(client, email_incident, email_burst, nicta_agent):
    client.force_login(nicta_agent)

    response = client.get(f"/tickets/{email_incident.reference}/")

    html = response.content.decode()
    assert "Tickets in this incident" in html
    for ticket in email_burst:
        assert ticket.reference in html
    assert 'action="/incidents/' + email_incident.reference + '/resolve/"' in html


def test_it_shows_a_follower_the_incident_without_the_others(
    client, email_incident, email_burst, mof_requester
):
    client.force_login(mof_requester)

    response = client.get(f"/tickets/{email_incident.reference}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Tickets in this incident" not in html
    assert "Also following" not in html  # the people affected are nobody else's business
    assert 'action="/tickets/' + email_incident.reference + '/reply/"' not in html
    for ticket in email_burst[1:]:
        assert ticket.reference not in html


# -- The owner agency's pages ------------------------------------------------------------------


def test_it_lists_the_proposals_and_open_incidents(
    client, email_burst, nicta_agent, django_assert_num_queries
):
    services.incidents_detect()
    client.force_login(nicta_agent)
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header),
    # 1 proposals with service and owner, 1 open incidents with their ticket counts.
    with django_assert_num_queries(6):
        response = client.get("/incidents/")
    html = response.content.decode()
    assert "5 tickets from 4 agencies" in html
    assert "Confirm the major incident" in html


def test_it_refuses_the_incident_list_to_requesters(client, mof_requester):
    client.force_login(mof_requester)
    assert client.get("/incidents/").status_code == 403


def test_it_confirms_a_proposal_from_the_list(client, email_burst, nicta_agent):
    services.incidents_detect()
    proposal = ProposedIncident.objects.get()
    client.force_login(nicta_agent)

    too_long = client.post(
        f"/incidents/proposals/{proposal.pk}/confirm/", {"subject": "x" * 201}, follow=True
    )
    assert "at most 200 characters" in too_long.content.decode()
    assert not Ticket.objects.filter(kind="major_incident").exists()

    response = client.post(
        f"/incidents/proposals/{proposal.pk}/confirm/", {"subject": "Mail is down"}
    )

    incident = Ticket.objects.get(kind="major_incident")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{incident.reference}/"
    assert incident.subject == "Mail is down"
    assert incident.children.count() == 5


def test_it_says_so_when_dismissing_twice(client, email_burst, nicta_agent):
    services.incidents_detect()
    proposal = ProposedIncident.objects.get()
    client.force_login(nicta_agent)
    client.post(f"/incidents/proposals/{proposal.pk}/dismiss/")

    response = client.post(f"/incidents/proposals/{proposal.pk}/dismiss/", follow=True)

    assert "already dismissed" in response.content.decode()


def test_it_answers_404_to_another_agencys_agent_on_a_proposal(client, email_burst, moh_agent):
    services.incidents_detect()
    proposal = ProposedIncident.objects.get()
    client.force_login(moh_agent)

    assert client.post(f"/incidents/proposals/{proposal.pk}/confirm/").status_code == 404
    assert ProposedIncident.objects.get().state == "proposed"


def test_it_declares_an_incident_and_shows_errors_on_the_form(
    client, email_category, nicta_agent, printer_category
):
    client.force_login(nicta_agent)
    empty = client.post("/incidents/declare/", {})
    assert empty.status_code == 200
    assert "There is a problem" in empty.content.decode()
    # A service NICTA does not run is no choice of theirs.
    other = client.post(
        "/incidents/declare/",
        {"category": printer_category.pk, "subject": "Down", "description": "Down"},
    )
    assert "Select a valid choice" in other.content.decode()

    response = client.post(
        "/incidents/declare/",
        {"category": email_category.pk, "subject": "Mail slow", "description": "Hour delays."},
    )

    incident = Ticket.objects.get(kind="major_incident")
    assert response["Location"] == f"/tickets/{incident.reference}/"


def test_it_attaches_and_detaches_by_reference(
    client, email_incident, nicta_agent, moh_head, email_category, open_ticket
):
    ticket = open_ticket(moh_head, email_category, subject="Unrelated words entirely")
    services.incident_detach(incident=email_incident, ticket=ticket, actor=nicta_agent)
    client.force_login(nicta_agent)
    url = f"/incidents/{email_incident.reference}/"

    client.post(url + "attach/", {"reference": ticket.reference.lower()})
    assert Ticket.objects.get(pk=ticket.pk).parent == email_incident
    itself = client.post(url + "attach/", {"reference": email_incident.reference}, follow=True)
    assert "cannot be part of itself" in itself.content.decode()
    unknown = client.post(url + "attach/", {"reference": "MOF-999999"}, follow=True)
    assert "No ticket MOF-999999 that you can see" in unknown.content.decode()
    client.post(url + "detach/", {"reference": ticket.reference})
    assert Ticket.objects.get(pk=ticket.pk).parent is None


def test_it_resolves_from_the_panel(client, email_incident, email_burst, nicta_agent):
    client.force_login(nicta_agent)
    url = f"/incidents/{email_incident.reference}/resolve/"

    missing = client.post(url, {"note": ""}, follow=True)
    assert "Say what was wrong" in missing.content.decode()
    client.post(url, {"note": "Back up."})

    assert Ticket.objects.get(pk=email_incident.pk).status == "resolved"
    assert set(Ticket.objects.filter(parent=email_incident).values_list("status", flat=True)) == {
        "resolved"
    }


# -- Government services ----------------------------------------------------------------------


def test_it_lets_platform_admins_keep_the_services(
    client, platform_admin, email_category, django_assert_num_queries
):
    client.force_login(platform_admin)
    client.post(
        "/status/services/new/",
        {"name": "Government e-mail", "categories": [email_category.pk], "is_listed": "on"},
    )
    service = GovService.objects.get()
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header),
    # 1 services, 1 their categories.
    with django_assert_num_queries(6):
        page = client.get("/status/services/")
    assert "Government e-mail" in page.content.decode()

    client.post("/status/services/", {"service": service.pk, "state": "outage"})
    assert GovService.objects.get().state == "outage"
    bad = client.post("/status/services/", {"service": 999, "state": "outage"}, follow=True)
    assert "no longer exists" in bad.content.decode()


def test_it_refuses_the_services_to_others(client, nicta_agent):
    client.force_login(nicta_agent)
    assert client.get("/status/services/").status_code == 403
    assert client.post("/status/services/new/", {"name": "X"}).status_code == 403


# -- The public status page --------------------------------------------------------------------


def test_it_shows_the_status_page_without_sign_in(
    client, email_service, email_incident, email_burst, update, django_assert_num_queries
):
    # 1 services, 1 their categories, 1 incidents of 90 days with owner, service and first
    # report, 1 their public updates.
    with django_assert_num_queries(4):
        response = client.get("/status/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=60"
    assert "Government e-mail is down" in html
    assert "A disk failed; replacing it now." in html
    assert "Degraded" in html  # the open incident, though the admins left it operational
    for ticket in email_burst:  # no ticket of anyone, no requester's name
        assert ticket.reference not in html
        assert ticket.subject not in html
        assert ticket.requester.get_full_name() not in html
        assert ticket.requester.email not in html


def test_it_answers_the_status_as_json(client, email_service, email_incident, email_burst, update):
    response = client.get("/status.json")

    assert response["Cache-Control"] == "public, max-age=60"
    body = json.loads(response.content)
    assert body["services"] == [
        {"name": "Government e-mail", "state": "degraded", "description": "Mail for civil servants"}
    ]
    [incident] = body["open_incidents"]
    assert incident["title"] == "Government e-mail is down"
    assert incident["owner"] == "NICTA"
    assert incident["updates"][0]["text"] == "A disk failed; replacing it now."
    text = response.content.decode()
    for ticket in email_burst:
        assert ticket.reference not in text
        assert ticket.requester.email not in text


def test_it_answers_the_status_as_an_atom_feed(client, email_incident, nicta_agent):
    services.incident_resolve(incident=email_incident, actor=nicta_agent, note="Back up.")

    response = client.get("/status/feed.atom")

    assert response["Content-Type"].startswith("application/atom+xml")
    text = response.content.decode()
    assert "<feed" in text
    assert "Government e-mail is down (Resolved)" in text
    assert "Back up." in text


def test_it_lists_incidents_of_the_last_90_days_only(client, email_incident, nicta_agent):
    services.incident_resolve(incident=email_incident, actor=nicta_agent, note="Back.")
    assert "Government e-mail is down" in client.get("/status/").content.decode()

    Ticket.objects.filter(pk=email_incident.pk).update(
        created_at=timezone.now() - timedelta(days=91)
    )

    assert "Government e-mail is down" not in client.get("/status/").content.decode()


def test_it_keeps_an_agencys_own_incident_off_the_status_page(
    client, mof_agent, mof, mof_service_desk
):
    from tickets.models import Category

    payroll = Category.objects.create(name="Payroll", slug="mof-payroll", agency=mof)
    services.incident_declare(
        actor=mof_agent, category=payroll, subject="Payroll run failed", description="Late pay."
    )

    assert "Payroll run failed" not in client.get("/status/").content.decode()


# -- The Council ---------------------------------------------------------------------------------


def test_it_gives_the_council_incidents_with_agencies_and_times(
    email_incident, email_burst, nicta_agent, moh_head, moh, django_assert_num_queries
):
    services.incident_affected_add(incident=email_incident, user=moh_head, agency=moh)
    services.incident_resolve(incident=email_incident, actor=nicta_agent, note="Back.")

    # 1 incidents with counts and first report, 1 agencies of children, 1 people affected.
    with django_assert_num_queries(3):
        [row] = incidents_for_council(since=timezone.now() - timedelta(days=30))

    assert row.incident == email_incident
    assert row.agencies == ["MOF", "MOH", "MOJ", "NEC"]
    assert (row.ticket_count, row.affected_count) == (5, 1)
    assert row.time_to_detect >= timedelta(0)
    assert row.time_to_resolve >= row.time_to_detect


def test_it_renders_the_council_include(email_incident, email_burst):
    from django.template.loader import render_to_string

    rows = incidents_for_council(since=timezone.now() - timedelta(days=30))
    html = render_to_string("incidents/council_incidents.html", {"council_incidents": rows})

    assert "Government e-mail is down" in html
    assert "MOF, MOH, MOJ, NEC" in html
    assert "Not yet" in html


def test_it_renders_the_council_section_from_the_periods_first_day(email_incident, email_burst):
    from django.template import Context, Template

    template = Template("{% load incidents %}{% council_incidents_section since %}")
    html = template.render(Context({"since": timezone.localdate() - timedelta(days=7)}))

    assert "Government e-mail is down" in html
    assert "MOF, MOH, MOJ, NEC" in html


# -- Bad input ------------------------------------------------------------------------------------


def test_it_answers_bad_ids_and_references_without_a_500(client, nicta_agent, platform_admin):
    client.force_login(nicta_agent)
    huge = "9" * 30
    assert client.post(f"/incidents/proposals/{huge}/confirm/").status_code == 404
    assert client.post("/incidents/NOPE-1/attach/", {"reference": "X"}).status_code == 404
    assert client.post("/incidents/NOPE-1/affected/").status_code == 404
    client.force_login(platform_admin)
    response = client.post("/status/services/", {"service": huge, "state": "outage"}, follow=True)
    assert response.status_code == 200
    assert "no longer exists" in response.content.decode()


def test_it_shows_the_council_its_incidents_without_ticket_contents(
    client, council_member, email_incident, email_burst
):
    client.force_login(council_member)

    response = client.get("/council/", {"period": "30"})

    html = response.content.decode()
    assert "Government e-mail is down" in html
    assert "MOF, MOH, MOJ, NEC" in html
    for ticket in email_burst:
        assert ticket.reference not in html
        assert ticket.requester.get_full_name() not in html


# -- Query counts of the other pages --------------------------------------------------------------


def test_it_answers_json_and_the_feed_in_four_queries(
    client, email_service, email_incident, update, django_assert_num_queries
):
    # 1 services, 1 their categories, 1 incidents of 90 days with owner, service and first
    # report, 1 their public updates; no session: nobody signed in.
    with django_assert_num_queries(4):
        client.get("/status.json")
    with django_assert_num_queries(4):
        client.get("/status/feed.atom")


def test_it_shows_the_owner_the_panel_in_a_fixed_number_of_queries(
    client, email_incident, nicta_agent, moh_head, moh, django_assert_num_queries
):
    services.incident_affected_add(incident=email_incident, user=moh_head, agency=moh)
    client.force_login(nicta_agent)
    for children in (5, 4):
        assert email_incident.children.count() == children
        # 1 session, 1 user, 1 memberships (header), 1 ticket, 1 events with their actors,
        # 1 files of those events, 1 followers, 1 unread-notices count (header), the incident
        # panel's 1 children with their agencies, 1 people affected and 1 its help article,
        # the agent panel's 1 teams, 1 agents, 1 services and 1 agencies, the workspace's
        # 1 canned responses, 1 macros, 1 requester's other tickets and 1 time spent, and
        # 1 help articles like it: the same for 5 children or 4.
        with django_assert_num_queries(20):
            response = client.get(f"/tickets/{email_incident.reference}/")
        assert response.context["works_ticket"]
        services.incident_detach(
            incident=email_incident, ticket=email_incident.children.first(), actor=nicta_agent
        )


def test_it_shows_the_declare_form_in_a_fixed_number_of_queries(
    client, nicta_agent, email_category, django_assert_num_queries
):
    client.force_login(nicta_agent)
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header), 1 the services
    # NICTA runs.
    with django_assert_num_queries(5):
        response = client.get("/incidents/declare/")
    assert "Government e-mail" in response.content.decode()
