"""Configuration history: database triggers catch a change however it is made."""

import pytest

from accounts.models import Membership, Role
from agencies.models import Agency, Team
from agencies.services import team_create
from privacy.models import AgencyHistory, MembershipHistory, TeamHistory, WebhookEndpointHistory
from webhooks.models import WebhookEndpoint


def _admin_form_data(response) -> dict:
    """What the admin's change page would post back unchanged."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for index, inline in enumerate(formset.formset.forms):
            for name in inline.fields:
                value = inline[name].value()
                if value not in (None, False):
                    data[f"{formset.formset.prefix}-{index}-{name}"] = (
                        "on" if value is True else value
                    )
    return data


def test_it_records_a_change_made_in_the_admin(client, platform_admin, mof):
    client.force_login(platform_admin)
    url = f"/django-admin/agencies/agency/{mof.pk}/change/"
    form = _admin_form_data(client.get(url))
    form["name"] = "Ministry of Finance and Planning"
    response = client.post(url, form)
    assert response.status_code == 302, response.context and response.context.get("errors")
    change = AgencyHistory.objects.filter(pgh_obj_id=mof.pk, pgh_label="update").get()
    assert change.name == "Ministry of Finance and Planning"
    before = AgencyHistory.objects.filter(pgh_obj_id=mof.pk).order_by("pgh_id").first()
    assert before.name == "Ministry of Finance"
    assert change.pgh_context.metadata["user"] == platform_admin.pk


def test_it_records_a_change_made_by_a_service(mof, mof_head):
    team = team_create(agency=mof, name="Payroll desk", actor=mof_head)
    assert TeamHistory.objects.filter(pgh_obj_id=team.pk, pgh_label="insert").exists()


def test_it_records_a_bulk_update_row_by_row(mof, moh):
    Agency.objects.filter(pk__in=[mof.pk, moh.pk]).update(is_active=False)
    updates = AgencyHistory.objects.filter(pgh_label="update")
    assert {(h.pgh_obj_id, h.is_active) for h in updates} == {(mof.pk, False), (moh.pk, False)}


def test_it_records_a_role_change_and_a_removal(mof_agent):
    membership = mof_agent.memberships.get()
    Membership.objects.filter(pk=membership.pk).update(role=Role.AGENCY_ADMIN)
    Membership.objects.filter(pk=membership.pk).delete()
    labels = list(
        MembershipHistory.objects.filter(pgh_obj_id=membership.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "role")
    )
    assert labels == [("insert", "agent"), ("update", "agency_admin"), ("delete", "agency_admin")]


def test_it_keeps_webhook_secrets_out_of_the_history(mof):
    endpoint = WebhookEndpoint(agency=mof, url="https://hooks.mof.gov.test/", events=[])
    endpoint.secret = "a signing secret"
    endpoint.save()
    history = WebhookEndpointHistory.objects.get(pgh_obj_id=endpoint.pk)
    assert not hasattr(history, "secret_encrypted")


@pytest.mark.parametrize("model", [Team])
def test_an_unchanged_save_records_nothing(model, mof):
    team = Team.objects.create(agency=mof, name="Desk")
    team.save()
    assert TeamHistory.objects.filter(pgh_obj_id=team.pk).count() == 1
