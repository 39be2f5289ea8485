"""Service levels: the government's defaults (platform admins), each agency's own (its admins),
their escalation levels, and the team lead that escalations reach."""

import pytest

from core.models import AuditEntry
from service_levels.models import EscalationLevel, SLAPolicy
from tests.factories import TeamFactory

P2 = {
    "priority": "P2",
    "p2-response_hours": "1",
    "p2-response_minutes": "30",
    "p2-resolution_hours": "8",
    "p2-resolution_minutes": "0",
    "p2-counting": "business",
}
LEVEL = {
    "priority": "P2",
    "p2-level-clock": "resolution",
    "p2-level-percent": "50",
    "p2-level-notify": "team",
}


@pytest.fixture
def signed_in_head(client, mof_head):
    client.force_login(mof_head)
    return client


@pytest.fixture
def signed_in_admin(client, platform_admin):
    client.force_login(platform_admin)
    return client


@pytest.fixture
def defaults(db):
    """The government's defaults for P1 and P2, with the usual escalation levels."""
    policies = {
        "P1": SLAPolicy.objects.create(
            priority="P1", response_minutes=30, resolution_minutes=240, business_hours=False
        ),
        "P2": SLAPolicy.objects.create(priority="P2", response_minutes=60, resolution_minutes=480),
    }
    for policy in policies.values():
        EscalationLevel.objects.create(
            policy=policy, clock="resolution", percent=75, notify="assignee_or_team"
        )
        EscalationLevel.objects.create(
            policy=policy, clock="resolution", percent=100, notify="lead_and_admins",
            marks_breach=True,
        )  # fmt: skip
        EscalationLevel.objects.create(
            policy=policy, clock="response", percent=100, notify="team", marks_breach=True
        )
    return policies


@pytest.fixture
def mof_p2(mof, defaults):
    policy = SLAPolicy.objects.create(
        agency=mof, priority="P2", response_minutes=120, resolution_minutes=600
    )
    EscalationLevel.objects.create(
        policy=policy, clock="resolution", percent=100, notify="team", marks_breach=True
    )
    return policy


def page(response) -> str:
    return response.content.decode()


def targets(policy: SLAPolicy) -> tuple:
    policy.refresh_from_db()
    return (
        policy.response_minutes,
        policy.resolution_minutes,
        policy.business_hours,
        policy.pause_on_hold,
    )


# -- Who may see and change what ---------------------------------------------------------------


def test_it_shows_an_agencys_service_levels_in_a_fixed_number_of_queries(
    signed_in_head, defaults, mof_p2, django_assert_num_queries
):
    # 1 session, 1 user, 1 memberships, 1 unread notices (header), 1 agency,
    # 1 policies (own and defaults), 1 their escalation levels, 1 the latest recompute.
    with django_assert_num_queries(8):
        response = signed_in_head.get("/agencies/MOF/service-levels/")
    text = page(response)
    assert "Save P2" in text  # its own
    assert "Set this agency's own P1" in text  # the default in force
    assert text.count('<span class="tag">Government default</span>') == 1  # P1
    assert text.count("<td>Nobody</td>") == 2  # P3, P4
    assert text.count('<tr id="p') == 4  # one compact row per priority


def test_it_shows_the_government_defaults_in_a_fixed_number_of_queries(
    signed_in_admin, defaults, mof_p2, django_assert_num_queries
):
    # 1 session, 1 user, 1 memberships, 1 unread notices (header), 1 policies,
    # 1 escalation levels, 1 the latest recompute.
    with django_assert_num_queries(7):
        response = signed_in_admin.get("/service-levels/")
    text = page(response)
    assert "Save P1" in text and "Save P2" in text
    assert "Set the government default for P3" in text
    assert "4 h" in text  # P1's resolution target


@pytest.mark.parametrize("persona", ["mof_head", "mof_agent", "council_member", "moh_head"])
def test_it_refuses_the_government_defaults_to_all_but_platform_admins(
    client, request, defaults, persona
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/service-levels/").status_code == 404
    assert client.post("/service-levels/", {**P2, "p2-response_hours": "9"}).status_code == 404
    response = client.post("/service-levels/levels/", {**LEVEL, "p2-level-percent": "60"})
    assert response.status_code == 404
    level = defaults["P2"].levels.first()
    assert client.post("/service-levels/levels/remove/", {"level": level.pk}).status_code == 404
    assert targets(defaults["P2"]) == (60, 480, True, False)
    assert defaults["P2"].levels.count() == 3


def test_it_answers_404_to_the_agencys_own_agents(client, mof_agent, defaults):
    client.force_login(mof_agent)
    assert client.get("/agencies/MOF/service-levels/").status_code == 404
    assert client.post("/agencies/MOF/service-levels/", P2).status_code == 404
    assert not SLAPolicy.objects.filter(agency__isnull=False).exists()


def test_it_answers_404_for_another_agencys_service_levels(signed_in_head, moh, defaults):
    assert signed_in_head.get("/agencies/MOH/service-levels/").status_code == 404
    assert signed_in_head.post("/agencies/MOH/service-levels/", P2).status_code == 404
    moh_p2 = SLAPolicy.objects.create(
        agency=moh, priority="P2", response_minutes=60, resolution_minutes=480
    )
    level = EscalationLevel.objects.create(
        policy=moh_p2, clock="response", percent=50, notify="team"
    )
    response = signed_in_head.post("/agencies/MOH/service-levels/levels/", LEVEL)
    assert response.status_code == 404
    response = signed_in_head.post(
        "/agencies/MOF/service-levels/levels/remove/", {"level": level.pk}
    )
    assert response.status_code == 404
    assert moh_p2.levels.count() == 1


def test_it_lets_a_platform_admin_set_any_agencys_own_level(signed_in_admin, mof, defaults):
    assert signed_in_admin.post("/agencies/MOF/service-levels/", P2).status_code == 302
    assert targets(SLAPolicy.objects.get(agency=mof, priority="P2")) == (90, 480, True, False)


# -- Policies ----------------------------------------------------------------------------------


def test_it_sets_an_agencys_own_level_with_a_copy_of_the_default_escalations(
    signed_in_head, mof, mof_head, defaults
):
    response = signed_in_head.post("/agencies/MOF/service-levels/", P2)
    assert response.status_code == 302
    assert response.url == "/agencies/MOF/service-levels/#p2"
    policy = SLAPolicy.objects.get(agency=mof, priority="P2")
    assert targets(policy) == (90, 480, True, False)
    assert sorted(policy.levels.values_list("clock", "percent", "notify", "marks_breach")) == [
        ("resolution", 75, "assignee_or_team", False),
        ("resolution", 100, "lead_and_admins", True),
        ("response", 100, "team", True),
    ]
    assert targets(defaults["P2"]) == (60, 480, True, False)  # the default is untouched
    entry = AuditEntry.objects.get(action="sla_policy.created")
    assert (entry.actor, entry.agency, entry.target) == (mof_head, mof, "MOF P2")
    assert len(entry.data["levels"]) == 3


def test_it_changes_an_agencys_own_level_and_records_before_and_after(signed_in_head, mof, mof_p2):
    response = signed_in_head.post(
        "/agencies/MOF/service-levels/",
        {**P2, "p2-counting": "clock", "p2-pause_on_hold": "on"},
        follow=True,
    )
    assert "The P2 service level is saved." in page(response)
    assert targets(mof_p2) == (90, 480, False, True)
    entry = AuditEntry.objects.get(action="sla_policy.updated")
    assert entry.data["before"] == {
        "response_minutes": 120,
        "resolution_minutes": 600,
        "business_hours": True,
        "pause_on_hold": False,
    }
    assert entry.data["after"]["business_hours"] is False
    assert mof_p2.levels.count() == 1  # levels stay as they were


def test_it_sets_a_government_default(signed_in_admin, platform_admin):
    response = signed_in_admin.post(
        "/service-levels/",
        {
            "priority": "P4",
            "p4-response_hours": "8",
            "p4-response_minutes": "0",
            "p4-resolution_hours": "45",
            "p4-resolution_minutes": "0",
            "p4-counting": "business",
        },
    )
    assert response.status_code == 302
    policy = SLAPolicy.objects.get(agency=None, priority="P4")
    assert (policy.response_minutes, policy.resolution_minutes) == (480, 2700)
    assert not policy.levels.exists()
    assert AuditEntry.objects.get(action="sla_policy.created").agency is None


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"p2-response_hours": "0", "p2-response_minutes": "0"},
            "Enter a first response target of at least one minute.",
        ),
        (
            {"p2-resolution_hours": "0", "p2-resolution_minutes": "0"},
            "Enter a resolution target of at least one minute.",
        ),
        ({"p2-response_hours": "-1"}, "The hours of the first response target cannot be negative."),
        (
            {"p2-resolution_minutes": "-5"},
            "Enter the minutes of the resolution target from 0 to 59.",
        ),
        (
            {"p2-response_hours": "four"},
            "Enter the hours of the first response target as a whole number, such as 4.",
        ),
        ({"p2-response_hours": "1.5"}, "as a whole number, such as 4."),
        (
            {"p2-response_minutes": "90"},
            "Enter the minutes of the first response target from 0 to 59.",
        ),
        (
            {"p2-response_hours": ""},
            "Enter the hours of the first response target, or 0.",
        ),
        (
            {"p2-response_hours": "9", "p2-resolution_hours": "8"},
            "The resolution target cannot be shorter than the first response target.",
        ),
        ({"p2-counting": "sometimes"}, "Choose how the clock counts."),
    ],
)
def test_it_refuses_bad_targets_and_keeps_the_old_ones(signed_in_head, mof_p2, change, message):
    response = signed_in_head.post("/agencies/MOF/service-levels/", {**P2, **change})
    assert response.status_code == 200
    text = page(response)
    assert "error-summary" in text
    assert message in text
    assert targets(mof_p2) == (120, 600, True, False)
    assert not AuditEntry.objects.exists()


def test_it_refuses_a_bad_target_when_setting_an_agencys_own(signed_in_head, mof, defaults):
    response = signed_in_head.post(
        "/agencies/MOF/service-levels/", {**P2, "p2-resolution_hours": "0"}
    )
    assert response.status_code == 200
    assert not SLAPolicy.objects.filter(agency=mof).exists()


def test_it_links_a_target_error_to_its_field(signed_in_head, mof_p2):
    response = signed_in_head.post(
        "/agencies/MOF/service-levels/", {**P2, "p2-response_hours": "x"}
    )
    assert 'href="#id_p2-response_hours"' in page(response)


def test_it_refuses_bad_targets_at_the_service_too(mof, mof_head):
    from django.core.exceptions import ValidationError

    from service_levels.services import sla_policy_save

    for response, resolution in ((0, 60), (-5, 60), ("60", 120), (120, 60)):
        with pytest.raises(ValidationError):
            sla_policy_save(
                agency=mof, priority="P2", response_minutes=response,
                resolution_minutes=resolution, business_hours=True, pause_on_hold=False,
                actor=mof_head,
            )  # fmt: skip
    assert not SLAPolicy.objects.exists()


def test_it_answers_400_for_an_unknown_priority(signed_in_head, mof_p2):
    response = signed_in_head.post("/agencies/MOF/service-levels/", {**P2, "priority": "P9"})
    assert response.status_code == 400
    assert targets(mof_p2) == (120, 600, True, False)


# -- Escalation levels -------------------------------------------------------------------------


def test_it_adds_an_escalation_level_and_records_it(signed_in_head, mof, mof_p2):
    response = signed_in_head.post(
        "/agencies/MOF/service-levels/levels/",
        {**LEVEL, "p2-level-raise_priority": "on", "p2-level-reassign_to_lead": "on"},
    )
    assert response.status_code == 302
    level = mof_p2.levels.get(percent=50)
    assert (level.clock, level.notify, level.raise_priority, level.reassign_to_lead) == (
        "resolution", "team", True, True,
    )  # fmt: skip
    entry = AuditEntry.objects.get(action="escalation_level.added")
    assert (entry.agency, entry.target, entry.data["percent"]) == (mof, "MOF P2", 50)


def test_it_shows_when_each_level_falls_due(signed_in_head, mof_p2):
    signed_in_head.post("/agencies/MOF/service-levels/levels/", LEVEL)
    text = page(signed_in_head.get("/agencies/MOF/service-levels/"))
    assert "50% of the target (5 h)" in text  # half of 10 hours
    assert "100% of the target (10 h)" in text


@pytest.mark.parametrize(
    "change, message",
    [
        ({"p2-level-percent": "0"}, "Enter a percentage of the target from 1 to 500."),
        ({"p2-level-percent": "501"}, "Enter a percentage of the target from 1 to 500."),
        ({"p2-level-percent": "half"}, "Enter the percentage as a whole number, such as 75."),
        ({"p2-level-percent": ""}, "Enter a percentage of the target from 1 to 500."),
        (
            {"p2-level-percent": "75", "p2-level-marks_breach": "on"},
            "Only a level at 100% or more marks the breach: 75% is before it.",
        ),
        (
            {"p2-level-percent": "100"},
            "This policy already has a resolution level at 100%",
        ),
        ({"p2-level-clock": "lunch"}, "Choose first response or resolution."),
        ({"p2-level-notify": "everyone"}, "Choose whom to notify from the list."),
    ],
)
def test_it_refuses_bad_escalation_levels(signed_in_head, mof_p2, change, message):
    response = signed_in_head.post("/agencies/MOF/service-levels/levels/", {**LEVEL, **change})
    assert response.status_code == 200
    text = page(response)
    assert "error-summary" in text
    assert message in text
    assert list(mof_p2.levels.values_list("percent", flat=True)) == [100]
    assert not AuditEntry.objects.exists()


def test_it_takes_the_same_percentage_on_the_other_clock(signed_in_head, mof_p2):
    response = signed_in_head.post(
        "/agencies/MOF/service-levels/levels/",
        {**LEVEL, "p2-level-clock": "response", "p2-level-percent": "100"},
    )
    assert response.status_code == 302
    assert mof_p2.levels.count() == 2


def test_it_refuses_levels_at_the_service_too(mof_p2, mof_head):
    from django.core.exceptions import ValidationError

    from service_levels.services import escalation_level_add

    for percent, breach in ((0, False), (501, False), (99, True), (100, False)):
        with pytest.raises(ValidationError):
            escalation_level_add(
                policy=mof_p2, clock="resolution", percent=percent, notify="team",
                marks_breach=breach, actor=mof_head,
            )  # fmt: skip
    assert mof_p2.levels.count() == 1


def test_it_answers_404_for_levels_of_a_default_the_agency_inherits(signed_in_head, mof, defaults):
    response = signed_in_head.post("/agencies/MOF/service-levels/levels/", LEVEL)
    assert response.status_code == 404
    level = defaults["P2"].levels.first()
    response = signed_in_head.post(
        "/agencies/MOF/service-levels/levels/remove/", {"level": level.pk}
    )
    assert response.status_code == 404
    assert defaults["P2"].levels.count() == 3


def test_it_removes_an_escalation_level_and_records_it(signed_in_head, mof, mof_p2):
    level = mof_p2.levels.get()
    response = signed_in_head.post(
        "/agencies/MOF/service-levels/levels/remove/", {"level": level.pk}
    )
    assert response.status_code == 302
    assert response.url == "/agencies/MOF/service-levels/#p2"
    assert not mof_p2.levels.exists()
    entry = AuditEntry.objects.get(action="escalation_level.removed")
    assert (entry.agency, entry.data["percent"], entry.data["marks_breach"]) == (mof, 100, True)


def test_it_edits_the_government_defaults_levels(signed_in_admin, defaults):
    response = signed_in_admin.post("/service-levels/levels/", LEVEL)
    assert response.status_code == 302
    assert defaults["P2"].levels.filter(percent=50).exists()
    level = defaults["P1"].levels.get(percent=75)
    signed_in_admin.post("/service-levels/levels/remove/", {"level": level.pk})
    assert defaults["P1"].levels.count() == 2


def test_it_reaches_the_sla_clock(mof, mof_p2):
    # What the pages set is what tickets.sla uses.
    from tickets.sla import policy_for

    assert policy_for(mof, "P2") == mof_p2
    assert policy_for(mof, "P1").agency is None


# -- The team lead -----------------------------------------------------------------------------


def test_it_sets_a_team_lead_among_its_members(signed_in_head, mof, mof_agent, mof_head):
    response = signed_in_head.post(
        "/agencies/MOF/teams/new/",
        {"name": "Network", "members": [mof_agent.pk, mof_head.pk], "lead": mof_agent.pk},
    )
    assert response.status_code == 302
    team = mof.teams.get(name="Network")
    assert team.lead == mof_agent
    entry = AuditEntry.objects.get(action="team.created")
    assert entry.data["lead"] == "agent@mof.gov.test"


def test_it_refuses_a_lead_who_is_not_a_member(signed_in_head, mof, mof_agent, mof_head):
    response = signed_in_head.post(
        "/agencies/MOF/teams/new/",
        {"name": "Network", "members": [mof_head.pk], "lead": mof_agent.pk},
    )
    assert response.status_code == 200
    assert "Choose the lead among the team&#x27;s members" in page(response)
    assert not mof.teams.exists()


def test_it_refuses_a_lead_from_another_agency(signed_in_head, mof, moh_agent):
    response = signed_in_head.post(
        "/agencies/MOF/teams/new/", {"name": "Network", "lead": moh_agent.pk}
    )
    assert response.status_code == 200
    assert "lead" in response.context["form"].errors
    assert not mof.teams.exists()


def test_it_keeps_changes_and_clears_the_lead_on_the_edit_form(
    signed_in_head, mof, mof_agent, mof_head
):
    team = TeamFactory(agency=mof, name="Network", lead=mof_agent)
    team.members.add(mof_agent, mof_head)
    text = page(signed_in_head.get(f"/agencies/MOF/teams/{team.pk}/"))
    assert f'<option value="{mof_agent.pk}" selected>' in text
    data = {"name": "Network", "members": [mof_agent.pk, mof_head.pk], "is_active": "on"}
    signed_in_head.post(f"/agencies/MOF/teams/{team.pk}/", {**data, "lead": mof_head.pk})
    team.refresh_from_db()
    assert team.lead == mof_head
    signed_in_head.post(f"/agencies/MOF/teams/{team.pk}/", {**data, "lead": ""})
    team.refresh_from_db()
    assert team.lead is None
