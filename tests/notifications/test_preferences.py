"""Notification settings: a choice per kind, mandatory kinds always on, refusals change nothing."""

import pytest
from django.core.exceptions import ValidationError

from notifications.models import MANDATORY_KINDS, Kind, Preference
from notifications.notice_services import preferences_save
from notifications.services import preference_mode

CHOOSABLE = [kind for kind in Kind if kind not in MANDATORY_KINDS]


def modes(user) -> dict[str, str]:
    return dict(Preference.objects.filter(user=user).values_list("kind", "mode"))


@pytest.fixture
def signed_in_agent(client, mof_agent):
    client.force_login(mof_agent)
    return client


# -- The page -------------------------------------------------------------------------------


def test_it_asks_one_question_per_kind_with_the_kind_as_legend(signed_in_agent):
    html = signed_in_agent.get("/notices/preferences/").content.decode()
    assert html.count("<fieldset") == len(CHOOSABLE)
    for kind in CHOOSABLE:
        assert f"<legend>{kind.label}</legend>" in html.replace("&#x27;", "'")
        for mode in Preference.Mode:
            assert f'name="{kind.value}" value="{mode.value}"' in html
    for label in ("Straight away", "In a daily summary", "Never"):
        assert html.count(f" {label}</label>") == len(CHOOSABLE)


def test_it_shows_mandatory_kinds_as_always_on_with_the_reason(signed_in_agent):
    html = signed_in_agent.get("/notices/preferences/").content.decode()
    assert "Always e-mailed straight away" in html
    assert "<li>A service-level warning or breach</li>" in html
    assert "You cannot turn these off" in html
    assert 'name="escalation"' not in html


def test_it_checks_what_the_person_chose_before(signed_in_agent, mof_agent):
    Preference.objects.create(user=mof_agent, kind=Kind.AGENT_REPLY, mode="digest")
    form = signed_in_agent.get("/notices/preferences/").context["form"]
    assert form["agent_reply"].value() == "digest"
    # Nothing chosen yet: straight away, as notify_ticket_event does.
    assert form["assigned"].value() == "immediate"


def test_it_shows_the_settings_in_a_fixed_number_of_queries(
    signed_in_agent, mof_agent, django_assert_num_queries
):
    Preference.objects.create(user=mof_agent, kind=Kind.AGENT_REPLY, mode="digest")
    # 1 session, 1 user, 1 memberships (header), 1 preferences, 1 unread count (header).
    with django_assert_num_queries(5):
        assert signed_in_agent.get("/notices/preferences/").status_code == 200


def test_it_is_linked_from_the_profile_page(signed_in_agent):
    html = signed_in_agent.get("/profile/").content.decode()
    assert 'href="/notices/preferences/"' in html


# -- Saving ---------------------------------------------------------------------------------


def test_it_saves_a_choice_for_every_kind(signed_in_agent, mof_agent):
    Preference.objects.create(user=mof_agent, kind=Kind.AGENT_REPLY, mode="off")
    posted = {kind.value: "digest" for kind in CHOOSABLE} | {"assigned": "off"}
    response = signed_in_agent.post("/notices/preferences/", posted, follow=True)
    assert response.redirect_chain == [("/notices/preferences/", 302)]
    assert "Your notification settings are saved." in response.content.decode()
    assert modes(mof_agent) == posted


def test_it_refuses_an_unknown_choice_and_changes_nothing(signed_in_agent, mof_agent):
    Preference.objects.create(user=mof_agent, kind=Kind.AGENT_REPLY, mode="off")
    posted = {kind.value: "digest" for kind in CHOOSABLE} | {"agent_reply": "weekly"}
    response = signed_in_agent.post("/notices/preferences/", posted)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="error-summary" role="alert"' in html
    assert (
        '<a href="#id_agent_reply_0">Choose straight away, in a daily summary or never for '
        "“A reply from IT staff on my ticket”.</a>"
    ) in html
    assert html.count('class="field field-error"') == 1
    assert modes(mof_agent) == {"agent_reply": "off"}


def test_it_refuses_a_missing_choice_and_changes_nothing(signed_in_agent, mof_agent):
    posted = {kind.value: "off" for kind in CHOOSABLE}
    del posted["resolved"]
    response = signed_in_agent.post("/notices/preferences/", posted)
    html = response.content.decode()
    assert '<a href="#id_resolved_0">Choose straight away, in a daily summary or never for' in html
    assert modes(mof_agent) == {}


def test_it_leaves_mandatory_kinds_on_whatever_is_posted(signed_in_agent, mof_agent):
    posted = {kind.value: "off" for kind in CHOOSABLE} | {"escalation": "off"}
    signed_in_agent.post("/notices/preferences/", posted)
    assert "escalation" not in modes(mof_agent)
    assert preference_mode(mof_agent, Kind.ESCALATION) == Preference.Mode.IMMEDIATE


def test_it_sends_someone_signed_out_to_sign_in(client):
    response = client.post("/notices/preferences/", {"assigned": "off"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# -- The service ----------------------------------------------------------------------------


def test_it_refuses_a_mandatory_kind_and_saves_nothing_else_either(mof_agent):
    with pytest.raises(ValidationError) as refused:
        preferences_save(user=mof_agent, modes={"assigned": "off", "escalation": "off"})
    assert set(refused.value.message_dict) == {"escalation"}
    assert modes(mof_agent) == {}


def test_it_refuses_unknown_kinds_and_modes(mof_agent):
    with pytest.raises(ValidationError) as refused:
        preferences_save(user=mof_agent, modes={"birthdays": "off", "assigned": "sometimes"})
    assert set(refused.value.message_dict) == {"birthdays", "assigned"}
    assert modes(mof_agent) == {}


def test_it_changes_only_the_persons_own_preferences(mof_agent, mof_second_agent):
    Preference.objects.create(user=mof_second_agent, kind=Kind.ASSIGNED, mode="digest")
    preferences_save(user=mof_agent, modes={"assigned": "off"})
    preferences_save(user=mof_agent, modes={"assigned": "immediate"})
    assert modes(mof_agent) == {"assigned": "immediate"}
    assert modes(mof_second_agent) == {"assigned": "digest"}
