"""Query counts of the channels' pages and callbacks, and what the callbacks leave behind."""

from pghistory.models import Context

from agencies.models import Team
from tests.channels.conftest import MOF_REQUESTER_PHONE, STRANGER_PHONE, TOKEN, confirm_phone
from tickets.models import Ticket


def test_the_phone_page_reads_little(client, mof_requester, django_assert_num_queries):
    confirm_phone(mof_requester, MOF_REQUESTER_PHONE)
    client.force_login(mof_requester)

    # session, user, memberships, the phone number, unread notices (the header)
    with django_assert_num_queries(5):
        response = client.get("/profile/phone/")

    assert response.status_code == 200
    assert MOF_REQUESTER_PHONE in response.content.decode()


def test_the_import_page_reads_little(client, mof_head, django_assert_num_queries):
    client.force_login(mof_head)

    # session, user, memberships, the agency, unread notices (the header)
    with django_assert_num_queries(5):
        response = client.get("/agencies/MOF/phones/import/")

    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


def test_the_ussd_menu_is_one_query(dial, requester_phone, django_assert_num_queries):
    # the number's owner (its user joined)
    with django_assert_num_queries(1):
        dial(MOF_REQUESTER_PHONE, "")


def test_an_unknown_number_on_ussd_is_one_query(dial, requester_phone, django_assert_num_queries):
    # the number's owner: none
    with django_assert_num_queries(1):
        dial(STRANGER_PHONE, "")


def test_my_open_tickets_are_two_queries(dial, requester_phone, django_assert_num_queries):
    # the number's owner, the latest three open tickets (their agency and the rest joined)
    with django_assert_num_queries(2):
        dial(MOF_REQUESTER_PHONE, "2")


def test_an_sms_from_a_stranger_stays_small(sms, requester_phone, django_assert_max_num_queries):
    # replay check, the record, the owner (none), a pending number (none), the answer's
    # outbox row; the rest is the history's context and savepoints
    with django_assert_max_num_queries(12):
        sms(STRANGER_PHONE, "Printer")


def test_an_sms_that_opens_a_ticket_stays_bounded(
    sms, requester_phone, django_assert_max_num_queries
):
    # replay check, the record, the owner, memberships, services, and the ticket's creation
    # (routing, clock, numbering, events, pending work), the answer's outbox row
    with django_assert_max_num_queries(30):
        sms(MOF_REQUESTER_PHONE, "Printer jammed")

    assert Ticket.objects.count() == 1


def test_the_callback_token_is_kept_out_of_the_configuration_history(
    sms, requester_phone, mof_desk, mof_agent
):
    mof_desk.assignment = Team.Assignment.ROUND_ROBIN
    mof_desk.save(update_fields=["assignment"])
    mof_desk.members.add(mof_agent)

    sms(MOF_REQUESTER_PHONE, "Printer jammed")

    assert Ticket.objects.get().assignee == mof_agent
    assert not Context.objects.filter(metadata__url__contains=TOKEN).exists()
    assert Context.objects.filter(metadata__url="/channels/africastalking/<token>/sms/").exists()
