"""The service catalogue pages, and the routing settings of an agency (intake team, automatic
assignment). Agency admins manage their agency's categories; platform admins the
government-wide ones."""

import pytest
from django.core.exceptions import ValidationError

from agencies.models import Team
from core.models import AuditEntry
from tickets import category_services
from tickets.models import Category


def category_form(**fields) -> dict:
    data = {
        "name": "Revenue system",
        "slug": "",
        "description": "",
        "parent": "",
        "handling_agency": "",
        "team": "",
        "default_impact": "medium",
        "default_urgency": "medium",
    }
    return {**data, **{k: getattr(v, "pk", v) for k, v in fields.items()}}


def edit_form(category: Category, **fields) -> dict:
    current = {
        "name": category.name,
        "slug": category.slug,
        "description": category.description,
        "parent": category.parent_id or "",
        "handling_agency": category.handling_agency_id or "",
        "team": category.team_id or "",
        "default_impact": category.default_impact,
        "default_urgency": category.default_urgency,
        "is_active": "on" if category.is_active else "",
    }
    return {**current, **{k: getattr(v, "pk", v) for k, v in fields.items()}}


def snapshot() -> list[tuple]:
    return list(Category.objects.order_by("pk").values_list())


@pytest.fixture
def hospital_system(moh):
    return Category.objects.create(name="Hospital records", slug="moh-hospital-records", agency=moh)


# -- Who may see and change what -------------------------------------------------------------


@pytest.mark.parametrize("persona", ["mof_agent", "mof_requester", "council_member"])
def test_it_refuses_the_catalogue_pages_to_people_without_the_right(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/categories/").status_code == 403
    assert client.get("/categories/new/").status_code == 403
    assert client.post("/categories/new/", category_form()).status_code == 403
    assert not Category.objects.exists()


def test_it_sends_signed_out_visitors_to_sign_in(client, db):
    response = client.get("/categories/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_answers_404_to_an_agent_for_their_own_agencys_category(
    client, mof_agent, payroll_category
):
    client.force_login(mof_agent)
    before = snapshot()
    assert client.get("/categories/mof-payroll/").status_code == 404
    response = client.post("/categories/mof-payroll/", edit_form(payroll_category, name="X"))
    assert response.status_code == 404
    assert snapshot() == before


def test_it_answers_404_to_the_admin_of_another_agency(client, moh_head, payroll_category):
    client.force_login(moh_head)
    before = snapshot()
    assert client.get("/categories/mof-payroll/").status_code == 404
    response = client.post("/categories/mof-payroll/", edit_form(payroll_category, name="X"))
    assert response.status_code == 404
    assert snapshot() == before


def test_it_answers_404_to_an_agency_admin_for_a_government_wide_category(
    client, mof_head, printer_category
):
    client.force_login(mof_head)
    before = snapshot()
    assert client.get("/categories/computer-and-printer/").status_code == 404
    response = client.post(
        "/categories/computer-and-printer/", edit_form(printer_category, name="X")
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_it_answers_404_for_an_unknown_short_name(client, platform_admin):
    client.force_login(platform_admin)
    assert client.get("/categories/no-such-thing/").status_code == 404


def test_it_lets_a_platform_admin_open_every_scope(
    client, platform_admin, payroll_category, printer_category
):
    client.force_login(platform_admin)
    assert client.get("/categories/mof-payroll/").status_code == 200
    assert client.get("/categories/computer-and-printer/").status_code == 200


# -- The list ---------------------------------------------------------------------------------


def test_it_shows_an_agency_admin_their_categories_and_the_government_wide_ones_read_only(
    client, mof_head, payroll_category, printer_category, hospital_system
):
    client.force_login(mof_head)
    response = client.get("/categories/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="/categories/mof-payroll/"' in page
    assert "Computer and printer" in page
    assert 'href="/categories/computer-and-printer/"' not in page
    assert "Hospital records" not in page
    sections = response.context["sections"]
    assert [(s.agency, s.editable) for s in sections] == [(mof_head.memberships.get().agency, True),
                                                          (None, False)]  # fmt: skip


def test_it_shows_children_indented_under_their_parent(client, platform_admin, mof, nicta):
    systems = Category.objects.create(name="Government systems", slug="government-systems")
    payroll = Category.objects.create(
        name="Payroll", slug="payroll", parent=systems, handling_agency=mof
    )
    email = Category.objects.create(name="E-mail", slug="email", handling_agency=nicta)
    client.force_login(platform_admin)
    response = client.get("/categories/")
    [government_wide] = response.context["sections"]
    assert government_wide.rows == [(email, 0, None), (systems, 0, None), (payroll, 1, systems)]
    page = response.content.decode()
    assert "catalogue-child catalogue-depth-1" in page
    assert "inside Government systems" in page


def test_it_lists_the_catalogue_in_a_fixed_number_of_queries(
    client, platform_admin, mof, moh, nicta, nicta_email_team, django_assert_num_queries
):
    network = Team.objects.create(agency=nicta, name="Network")
    systems = Category.objects.create(name="Government systems", slug="government-systems")
    for n in range(4):
        Category.objects.create(
            name=f"System {n}", slug=f"system-{n}", parent=systems, handling_agency=nicta,
            team=network if n % 2 else nicta_email_team,
        )  # fmt: skip
    for agency in (mof, moh):
        parent = Category.objects.create(name="Own", slug=f"{agency.code}-own", agency=agency)
        Category.objects.create(
            name="Child", slug=f"{agency.code}-child", agency=agency, parent=parent
        )
    client.force_login(platform_admin)
    # 1 session, 1 user, 1 memberships and 1 unread-notices count (header),
    # 1 categories with their agencies and teams.
    with django_assert_num_queries(5):
        response = client.get("/categories/")
    assert response.status_code == 200
    assert len(response.context["sections"]) == 3


# -- Creating ---------------------------------------------------------------------------------


def test_it_creates_an_agency_category_with_a_short_name_made_from_its_name(client, mof_head, mof):
    client.force_login(mof_head)
    response = client.post("/categories/new/", category_form(default_urgency="high"))
    assert response.status_code == 302
    category = Category.objects.get()
    assert (category.slug, category.agency, category.handling_agency, category.team) == (
        "mof-revenue-system", mof, None, None,
    )  # fmt: skip
    assert (category.default_impact, category.default_urgency) == ("medium", "high")
    entry = AuditEntry.objects.get(action="category.created")
    assert (entry.actor, entry.agency) == (mof_head, mof)
    assert entry.data["slug"] == "mof-revenue-system"


def test_it_creates_a_government_wide_category_handled_by_a_shared_service(
    client, platform_admin, nicta, nicta_email_team
):
    client.force_login(platform_admin)
    response = client.post(
        "/categories/new/",
        category_form(
            name="Video meetings", slug="video-meetings", handling_agency=nicta,
            team=nicta_email_team,
        ),
    )  # fmt: skip
    assert response.status_code == 302
    category = Category.objects.get(slug="video-meetings")
    assert (category.agency, category.handling_agency, category.team) == (
        None, nicta, nicta_email_team,
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="category.created")
    assert entry.agency is None
    assert entry.data["team"] == "NICTA: E-mail and collaboration"


def test_it_routes_a_new_categorys_tickets_to_its_team(
    client, platform_admin, nicta, nicta_email_team, mof_requester, open_ticket
):
    client.force_login(platform_admin)
    client.post(
        "/categories/new/",
        category_form(name="Video meetings", handling_agency=nicta, team=nicta_email_team),
    )
    ticket = open_ticket(mof_requester, Category.objects.get(slug="video-meetings"))
    assert (ticket.agency, ticket.team) == (nicta, nicta_email_team)


@pytest.mark.parametrize("slug", ["", "mof-payroll"])
def test_it_refuses_a_short_name_another_category_has(client, mof_head, payroll_category, slug):
    client.force_login(mof_head)
    before = snapshot()
    response = client.post("/categories/new/", category_form(name="Payroll", slug=slug))
    assert response.status_code == 200
    page = response.content.decode()
    assert "error-summary" in page
    assert "Another category already uses the short name mof-payroll" in page
    assert snapshot() == before
    assert not AuditEntry.objects.exists()


def test_it_refuses_a_team_of_another_agency(client, mof_head, mof_service_desk, nicta_email_team):
    client.force_login(mof_head)
    response = client.post("/categories/new/", category_form(team=nicta_email_team))
    assert response.status_code == 200
    assert response.context["form"].errors["team"] == [
        "E-mail and collaboration is a team of NICTA. Choose a team of MOF, which handles "
        "these tickets."
    ]
    assert not Category.objects.exists()


def test_it_refuses_a_team_for_a_government_wide_category_each_agency_handles(
    client, platform_admin, mof_service_desk
):
    client.force_login(platform_admin)
    response = client.post("/categories/new/", category_form(team=mof_service_desk))
    assert response.status_code == 200
    assert "Leave the team empty" in response.context["form"].errors["team"][0]
    assert not Category.objects.exists()


def test_it_refuses_a_parent_of_another_scope(client, mof_head, printer_category):
    client.force_login(mof_head)
    before = snapshot()
    response = client.post("/categories/new/", category_form(parent=printer_category))
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == [
        "Choose a parent among the categories of Ministry of Finance."
    ]
    assert snapshot() == before


def test_it_refuses_a_parent_of_another_agency_as_not_in_the_list(
    client, mof_head, hospital_system
):
    client.force_login(mof_head)
    response = client.post("/categories/new/", category_form(parent=hospital_system))
    assert response.status_code == 200
    assert "Choose a parent from the list" in response.context["form"].errors["parent"][0]
    assert Category.objects.count() == 1


def test_it_refuses_an_agency_parent_for_a_government_wide_category(
    platform_admin, payroll_category
):
    with pytest.raises(ValidationError) as refusal:
        category_services.category_create(
            actor=platform_admin, agency=None, name="Pensions", parent=payroll_category
        )
    assert refusal.value.message_dict["parent"] == [
        "A government-wide category can only sit inside another government-wide one."
    ]
    assert Category.objects.count() == 1


def test_it_refuses_an_inactive_handling_agency(client, mof_head, moh):
    moh.is_active = False
    moh.save(update_fields=["is_active"])
    client.force_login(mof_head)
    response = client.get("/categories/new/")
    offered = [
        str(value) for value, _ in response.context["form"].fields["handling_agency"].choices
    ]
    assert str(moh.pk) not in offered
    response = client.post("/categories/new/", category_form(handling_agency=moh))
    assert response.status_code == 200
    assert response.context["form"].errors["handling_agency"] == [
        "Ministry of Health is not taking tickets: choose an active agency, or leave it empty."
    ]
    assert not Category.objects.exists()


def test_it_refuses_a_new_category_in_an_inactive_agency(mof_head, mof):
    mof.is_active = False
    mof.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="reactivate it"):
        category_services.category_create(actor=mof_head, agency=mof, name="Revenue system")
    assert not Category.objects.exists()


# -- Editing ----------------------------------------------------------------------------------


def test_it_edits_a_category_and_records_what_changed(client, mof_head, mof, payroll_category):
    client.force_login(mof_head)
    response = client.post(
        "/categories/mof-payroll/",
        edit_form(payroll_category, name="Payroll and pensions", default_impact="high",
                  is_active=""),
    )  # fmt: skip
    assert response.status_code == 302
    payroll_category.refresh_from_db()
    assert (payroll_category.name, payroll_category.default_impact) == (
        "Payroll and pensions", "high",
    )  # fmt: skip
    assert payroll_category.is_active is False
    entry = AuditEntry.objects.get(action="category.updated")
    assert (entry.actor, entry.agency) == (mof_head, mof)
    assert entry.data["changes"] == {
        "name": ["Payroll", "Payroll and pensions"],
        "default_impact": ["low", "high"],
        "is_active": [True, False],
    }


def test_it_records_nothing_when_nothing_changes(client, mof_head, payroll_category):
    client.force_login(mof_head)
    response = client.post("/categories/mof-payroll/", edit_form(payroll_category))
    assert response.status_code == 302
    assert not AuditEntry.objects.exists()


def test_it_refuses_a_parent_that_makes_a_cycle(client, mof_head, mof, payroll_category):
    salaries = Category.objects.create(
        name="Salaries", slug="mof-salaries", agency=mof, parent=payroll_category
    )
    late = Category.objects.create(
        name="Late pay", slug="mof-late-pay", agency=mof, parent=salaries
    )
    client.force_login(mof_head)
    before = snapshot()
    response = client.post("/categories/mof-payroll/", edit_form(payroll_category, parent=late))
    assert response.status_code == 200
    assert response.context["form"].errors["parent"] == [
        "Late pay sits inside Payroll: a category cannot sit inside itself."
    ]
    assert snapshot() == before
    assert not AuditEntry.objects.exists()


def test_it_does_not_offer_a_category_as_its_own_parent(client, mof_head, payroll_category):
    client.force_login(mof_head)
    response = client.post(
        "/categories/mof-payroll/", edit_form(payroll_category, parent=payroll_category)
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    payroll_category.refresh_from_db()
    assert payroll_category.parent is None


def test_it_keeps_an_inactive_handling_agency_while_other_settings_change(
    client, platform_admin, moh
):
    category = Category.objects.create(name="Clinics", slug="clinics", handling_agency=moh)
    moh.is_active = False
    moh.save(update_fields=["is_active"])
    client.force_login(platform_admin)
    response = client.post("/categories/clinics/", edit_form(category, is_active=""))
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.handling_agency, category.is_active) == (moh, False)


def test_it_changes_the_short_name(client, mof_head, payroll_category):
    client.force_login(mof_head)
    response = client.post("/categories/mof-payroll/", edit_form(payroll_category, slug="mof-pay"))
    assert response.status_code == 302
    assert Category.objects.get().slug == "mof-pay"
    assert client.get("/categories/mof-payroll/").status_code == 404


# -- Routing settings of an agency: intake team and automatic assignment ----------------------


def test_it_chooses_the_agencys_intake_team(
    client, mof_head, mof, mof_team, mof_requester, printer_category, open_ticket
):
    client.force_login(mof_head)
    response = client.post("/agencies/MOF/teams/", {"intake_team": mof_team.pk})
    assert response.status_code == 302
    mof.refresh_from_db()
    assert mof.intake_team == mof_team
    entry = AuditEntry.objects.get(action="agency.intake_team_changed")
    assert (entry.actor, entry.data) == (mof_head, {"new": "Service desk"})
    assert open_ticket(mof_requester, printer_category).team == mof_team


def test_it_shows_the_intake_team_on_the_team_list(client, mof_head, mof_service_desk):
    client.force_login(mof_head)
    page = client.get("/agencies/MOF/teams/").content.decode()
    assert "intake team" in page
    assert f'<option value="{mof_service_desk.pk}" selected>' in page


def test_it_clears_the_intake_team(client, mof_head, mof, mof_service_desk):
    client.force_login(mof_head)
    response = client.post("/agencies/MOF/teams/", {"intake_team": ""})
    assert response.status_code == 302
    mof.refresh_from_db()
    assert mof.intake_team is None


def test_it_refuses_an_intake_team_of_another_agency(client, mof_head, mof, moh):
    other = Team.objects.create(agency=moh, name="Service desk")
    client.force_login(mof_head)
    response = client.post("/agencies/MOF/teams/", {"intake_team": other.pk})
    assert response.status_code == 200
    assert "intake_team" in response.context["intake_form"].errors
    mof.refresh_from_db()
    assert mof.intake_team is None
    assert not AuditEntry.objects.exists()


def test_it_answers_404_to_another_agencys_admin_choosing_an_intake_team(
    client, moh_head, mof, mof_team
):
    client.force_login(moh_head)
    assert client.post("/agencies/MOF/teams/", {"intake_team": mof_team.pk}).status_code == 404
    mof.refresh_from_db()
    assert mof.intake_team is None


def test_it_saves_a_teams_automatic_assignment(client, mof_head, mof, mof_agent):
    client.force_login(mof_head)
    client.post(
        "/agencies/MOF/teams/new/",
        {"name": "Network", "assignment": "fewest_open", "members": [mof_agent.pk]},
    )
    team = Team.objects.get(agency=mof, name="Network")
    assert team.assignment == Team.Assignment.FEWEST_OPEN
    response = client.post(
        f"/agencies/MOF/teams/{team.pk}/",
        {"name": "Network", "assignment": "round_robin", "is_active": "on"},
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.assignment == Team.Assignment.ROUND_ROBIN
    assert AuditEntry.objects.get(action="team.updated").data["assignment"] == "round_robin"


def test_it_refuses_an_unknown_assignment_strategy(client, mof_head, mof):
    client.force_login(mof_head)
    response = client.post("/agencies/MOF/teams/new/", {"name": "Network", "assignment": "lottery"})
    assert response.status_code == 200
    assert "assignment" in response.context["form"].errors
    assert not Team.objects.exists()


# -- The Django admin -------------------------------------------------------------------------


def test_it_saves_categories_from_the_django_admin_through_the_services(
    client, platform_admin, mof_service_desk
):
    client.force_login(platform_admin)
    form = {
        "name": "Telephones", "slug": "", "agency": "", "parent": "", "handling_agency": "",
        "team": mof_service_desk.pk, "default_impact": "low", "default_urgency": "medium",
        "is_active": "on",
    }  # fmt: skip
    response = client.post("/django-admin/tickets/category/add/", form)
    assert response.status_code == 200
    assert "Leave the team empty" in response.content.decode()
    assert not Category.objects.exists()
    response = client.post("/django-admin/tickets/category/add/", {**form, "team": ""})
    assert response.status_code == 302
    assert Category.objects.get().slug == "telephones"
    assert AuditEntry.objects.get(action="category.created").actor == platform_admin


def test_it_shows_tickets_and_their_history_in_the_django_admin_without_changing_them(
    client, platform_admin, mof_requester, printer_category, open_ticket
):
    ticket = open_ticket(mof_requester, printer_category)
    event = ticket.events.get()
    client.force_login(platform_admin)
    assert client.get(f"/django-admin/tickets/ticket/{ticket.pk}/change/").status_code == 200
    assert client.get(f"/django-admin/tickets/ticketevent/{event.pk}/change/").status_code == 200
    assert client.get("/django-admin/tickets/ticketevent/add/").status_code == 403
    response = client.post(f"/django-admin/tickets/ticket/{ticket.pk}/change/", {"subject": "X"})
    assert response.status_code == 403
    response = client.post(f"/django-admin/tickets/ticketevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.subject == "Printer offline"
    assert ticket.events.count() == 1
