"""Erasure: no trace of the person's name, e-mail or phone in any text or JSON column of any
table, nor in the stored files; the figures, the tickets and an audit skeleton stay."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import User
from core.models import AuditEntry
from privacy.models import Erasure
from privacy.services import DataProtectionError, legal_hold_place, person_erase
from tests.privacy.scenario import EMAIL, NAME, OTHER_EMAIL, OTHER_NAME, person_with_a_trail
from tickets.models import Ticket, TicketEvent

PHONE_DIGITS = "777123456"


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


def _traces(*needles) -> list[str]:
    """Every table and column (text or JSON) holding one of the needles, any case; phone
    digits are matched however they are spaced."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
              AND c.data_type IN ('text', 'character varying', 'jsonb', 'json')
            """
        )
        columns = cursor.fetchall()
        for table, column, _type in columns:
            for needle in needles:
                pattern = r"[\s.()-]*".join(needle) if needle.isdigit() else re.escape(needle)
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ~* %s',  # noqa: S608
                    [pattern],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{table}.{column}: {needle}")
    return found


def _file_traces(*needles) -> list[str]:
    found = []
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            content = path.read_bytes().lower()
            found += [f"{path}: {n}" for n in needles if n.lower().encode() in content]
    return found


def test_it_leaves_no_trace_of_the_person_anywhere(
    trail, mof_requester, mof_dpo, django_capture_on_commit_callbacks
):
    assert _traces(NAME, EMAIL, PHONE_DIGITS), "the trail is there before"
    assert _file_traces(NAME, EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        person_erase(person=mof_requester, actor=mof_dpo, reason="Request 2026/14 of 2 Dec")
    assert _traces(NAME, EMAIL, PHONE_DIGITS) == []
    assert _file_traces(NAME, EMAIL) == []


def test_it_keeps_the_others_and_the_tickets(trail, mof_requester, mof_dpo):
    tickets_before = Ticket.objects.count()
    events_before = TicketEvent.objects.count()
    person_erase(person=mof_requester, actor=mof_dpo, reason="Request 2026/14")
    assert Ticket.objects.count() == tickets_before
    assert TicketEvent.objects.count() == events_before
    assert _traces(OTHER_NAME, OTHER_EMAIL) != []
    other = Ticket.objects.get(pk=trail["other"].pk)
    assert other.description == f"From {OTHER_NAME}."


def test_it_closes_the_account_and_keeps_an_audit_skeleton(trail, mof_requester, mof_dpo, client):
    person_erase(person=mof_requester, actor=mof_dpo, reason="Request 2026/14")
    person = User.objects.get(pk=mof_requester.pk)
    assert not person.is_active and not person.has_usable_password()
    erasure = Erasure.objects.get()
    assert (erasure.person, erasure.erased_by, erasure.reason) == (
        person,
        mof_dpo,
        "Request 2026/14",
    )
    assert AuditEntry.objects.filter(action="privacy.person_erased").exists()
    assert not client.login(email=EMAIL, password="anything")


def test_the_search_no_longer_finds_the_person(trail, mof_requester, mof_dpo, mof_agent, client):
    person_erase(person=mof_requester, actor=mof_dpo, reason="Request 2026/14")
    client.force_login(mof_agent)
    response = client.get("/queue/", {"q": "Kollie"})
    assert trail["ticket"].reference not in response.content.decode()


def test_it_refuses_a_person_under_legal_hold(trail, mof_requester, mof_dpo):
    legal_hold_place(actor=mof_dpo, reason="Court case", person=mof_requester)
    with pytest.raises(DataProtectionError, match="legal hold"):
        person_erase(person=mof_requester, actor=mof_dpo, reason="Request")
    assert User.objects.get(pk=mof_requester.pk).email == EMAIL


def test_it_refuses_a_person_whose_ticket_is_under_legal_hold(trail, mof_requester, mof_dpo):
    legal_hold_place(actor=mof_dpo, reason="Court case", ticket=trail["ticket"])
    with pytest.raises(DataProtectionError, match="legal hold"):
        person_erase(person=mof_requester, actor=mof_dpo, reason="Request")


def test_it_refuses_the_last_platform_admin(platform_admin, government_dpo):
    with pytest.raises(DataProtectionError, match="last platform admin"):
        person_erase(person=platform_admin, actor=government_dpo, reason="Request")
    assert User.objects.get(pk=platform_admin.pk).is_active


def test_it_refuses_oneself(mof_dpo):
    with pytest.raises(DataProtectionError, match="yourself"):
        person_erase(person=mof_dpo, actor=mof_dpo, reason="Request")


def test_the_page_erases_with_the_role_and_explains_a_refusal(
    client, trail, mof_requester, mof_dpo
):
    client.force_login(mof_dpo)
    response = client.post(f"/privacy/people/{mof_requester.pk}/erase/", {"reason": "Req 1"})
    assert response.status_code == 400  # not confirmed
    assert User.objects.get(pk=mof_requester.pk).email == EMAIL
    response = client.post(
        f"/privacy/people/{mof_requester.pk}/erase/", {"reason": "Req 1", "confirm": "on"}
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=mof_requester.pk).is_active


@pytest.mark.parametrize("persona", ["mof_agent", "mof_head", "moh_agent", "council_member"])
def test_an_erasure_by_someone_without_the_role_is_404(
    client, request, trail, mof_requester, persona
):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        f"/privacy/people/{mof_requester.pk}/erase/", {"reason": "Req 1", "confirm": "on"}
    )
    assert response.status_code == 404
    assert User.objects.get(pk=mof_requester.pk).is_active


def test_the_command_erases(trail, mof_requester):
    call_command("person_erase", EMAIL, "--reason", "Request 2026/15", "--yes")
    assert Erasure.objects.get().erased_by is None
    assert not User.objects.get(pk=mof_requester.pk).is_active


def test_the_command_refuses_without_yes_an_unknown_address_and_a_hold(
    trail, mof_requester, mof_dpo
):
    with pytest.raises(CommandError, match="--yes"):
        call_command("person_erase", EMAIL, "--reason", "Request")
    with pytest.raises(CommandError, match="Nobody has"):
        call_command("person_erase", "nobody@gov.test", "--reason", "Request", "--yes")
    legal_hold_place(actor=mof_dpo, reason="Court case", person=mof_requester)
    with pytest.raises(CommandError, match="legal hold"):
        call_command("person_erase", EMAIL, "--reason", "Request", "--yes")
    assert not Erasure.objects.exists()
