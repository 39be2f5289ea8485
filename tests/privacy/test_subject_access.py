"""Subject access: everything GovDesk holds about a person, and nothing of anyone else."""

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role
from tests.factories import MembershipFactory, UserFactory
from tests.privacy.scenario import EMAIL, NAME, OTHER_EMAIL, OTHER_NAME, person_with_a_trail


@pytest.fixture
def trail(client, committed, open_ticket, attach, mof_requester, mof_agent, moh):
    return person_with_a_trail(
        client=client,
        committed=committed,
        open_ticket=open_ticket,
        attach=attach,
        musu=mof_requester,
        agent=mof_agent,
        moh=moh,
    )


def _archive(content: bytes) -> tuple[dict, dict[str, bytes]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files["data.json"]), files


def test_an_officer_exports_every_record_of_the_person(client, trail, mof_dpo, mof_requester):
    client.force_login(mof_dpo)
    response = client.get(f"/privacy/people/{mof_requester.pk}/export.zip")
    assert response.status_code == 200
    data, files = _archive(response.content)
    assert data["account"][0]["email"] == EMAIL
    assert [m["role"] for m in data["memberships"]] == ["requester"]
    references = {t["reference"] for t in data["tickets"]}
    # The transferred ticket follows the person to the agency that has it now.
    assert references == {trail["ticket"].reference, trail["moved"].reference}
    assert {"MOF", "MOH"} == {t["handled_by_agency"] for t in data["tickets"]}
    assert [t["to_agency"] for t in data["transfers"]] == ["MOH"]
    bodies = [m["body"] for m in data["messages"]]
    assert "Any news? 0777-123-456" in bodies
    assert f"Hello {NAME}, we are on it." in bodies
    assert not any("called again" in body for body in bodies)  # an internal note is staff's
    assert files["files/" + trail["ticket"].attachments.get().token + "-id-card.txt"]
    assert data["notices"] or data["mail.Outbox"]
    assert {entry["what"] for entry in data["reads_of_your_data"]} == {"ticket"}
    assert data["channels.PhoneNumber"][0]["number"] == "+231777123456"
    assert "tickets.csv" in files and "messages.csv" in files


def test_the_export_holds_nothing_of_anyone_else(client, trail, mof_dpo, mof_requester, mof_agent):
    client.force_login(mof_dpo)
    response = client.get(f"/privacy/people/{mof_requester.pk}/export.zip")
    _data, files = _archive(response.content)
    everything = b"".join(files.values()).decode().lower()
    for trace in (OTHER_NAME, OTHER_EMAIL, trail["other"].reference, mof_agent.email):
        assert trace.lower() not in everything, trace
    # Who read her tickets appears as a role, never as a name or an address.
    assert "10.9.8.7" not in everything  # her own reads are not reads of her by others


def test_a_person_downloads_their_own_from_their_profile(client, trail, mof_requester):
    client.force_login(mof_requester)
    assert "/profile/my-data.zip" in client.get("/profile/").content.decode()
    response = client.get("/profile/my-data.zip")
    data, _files = _archive(response.content)
    assert data["account"][0]["email"] == EMAIL


@pytest.mark.parametrize("persona", ["mof_agent", "mof_head", "moh_requester", "council_member"])
def test_an_export_by_someone_without_the_role_is_404(
    client, request, trail, mof_requester, persona
):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/privacy/people/{mof_requester.pk}/export.zip").status_code == 404


def test_an_officer_of_an_agency_holding_none_of_her_data_cannot_export_it(
    client, trail, nicta, mof_requester
):
    nicta_dpo = UserFactory(email="dpo@nicta.gov.test")
    MembershipFactory(user=nicta_dpo, agency=nicta, role=Role.DATA_PROTECTION_OFFICER)
    client.force_login(nicta_dpo)
    assert client.get(f"/privacy/people/{mof_requester.pk}/export.zip").status_code == 404


def test_the_command_writes_the_archive(trail, tmp_path):
    output = tmp_path / "musu.zip"
    call_command("person_export", EMAIL.upper(), "--output", str(output))
    data, _files = _archive(output.read_bytes())
    assert data["account"][0]["full_name"] == NAME


def test_the_command_refuses_an_unknown_address(tmp_path):
    output = tmp_path / "nobody.zip"
    with pytest.raises(CommandError, match="Nobody has the e-mail address"):
        call_command("person_export", "nobody@gov.test", "--output", str(output))
    assert not output.exists()
