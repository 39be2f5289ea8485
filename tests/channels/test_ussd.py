"""The whole USSD tree, driven by posting callbacks through the real URL as the gateway
would, with the token: every screen within 182 characters, in the person's language."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels.models import UssdSession
from incidents.models import GovService
from mail.models import Outbox
from tests.channels.conftest import MOF_REQUESTER_PHONE, STRANGER_PHONE, TOKEN
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_create

PHONE = MOF_REQUESTER_PHONE


@pytest.fixture
def screens(dial):
    """Dials and checks what every screen must be: CON or END, within 182 characters."""
    shown = []

    def screen(text: str = "", *, session: str = "ATUid_1", phone: str = PHONE) -> str:
        answer = dial(phone, text, session=session)
        assert answer.startswith(("CON ", "END ")), answer
        assert len(answer[4:]) <= 182, answer
        shown.append(answer)
        return answer

    screen.shown = shown
    return screen


def _report(requester, category, subject="Printer jammed") -> Ticket:
    membership = requester.memberships.select_related("agency").first()
    return ticket_create(
        requester=requester,
        requester_agency=membership.agency,
        category=category,
        subject=subject,
        description="It jams on every page.",
        impact="low",
        urgency="medium",
    )


def test_the_first_screen_is_the_menu(screens, requester_phone):
    assert screens() == (
        "CON GovDesk\n1. Report a problem\n2. My open tickets\n3. Reply to my latest ticket"
        "\n4. Status of government services"
    )


def test_it_reports_a_problem_through_the_menu(screens, requester_phone, mof_requester):
    services = screens("1")
    assert services == (
        "CON Which service?\n1. Computer and printer\n2. Government e-mail\n3. Other"
    )
    assert screens("1*1") == "CON Describe the problem in a few words:"

    done = screens("1*1*Printer on floor 2 jams")

    ticket = Ticket.objects.get()
    assert done == (
        f"END Reported. Your reference is {ticket.reference}. We have sent it to you by SMS."
    )
    assert ticket.channel == Ticket.Channel.USSD
    assert ticket.requester == mof_requester
    assert ticket.category.slug == "printer"
    assert ticket.description == "Printer on floor 2 jams"
    sent = Outbox.objects.get(channel=Outbox.Channel.SMS)
    assert sent.to_address == PHONE
    assert sent.body_text == (
        f"GovDesk: we received your report. Your reference is {ticket.reference}."
    )


def test_a_description_may_hold_a_star(screens, requester_phone):
    screens("1*3*Error *77# on the payroll screen")

    assert Ticket.objects.get().description == "Error *77# on the payroll screen"


def test_the_last_step_sent_twice_reports_once(screens, requester_phone):
    first = screens("1*1*Printer jams", session="ATUid_twice")
    second = screens("1*1*Printer jams", session="ATUid_twice")

    assert first == second
    assert Ticket.objects.count() == 1
    assert UssdSession.objects.count() == 1
    assert Outbox.objects.filter(channel=Outbox.Channel.SMS).count() == 1


def test_an_empty_description_reports_nothing(screens, requester_phone):
    assert screens("1*1*   ") == "END Nothing was reported: the description was empty. Dial again."
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("text", ["9", "1*9", "1*0", "1*x", "2*1", "4*4", "*", "1*-1"])
def test_an_option_that_does_not_exist_ends_politely(screens, requester_phone, text):
    assert screens(text) == (
        "END That option does not exist. Dial again and choose a number from the menu."
    )
    assert not Ticket.objects.exists()


def test_it_lists_the_latest_three_open_tickets_with_status_and_due_time(
    screens, requester_phone, mof_requester, catalogue
):
    old = _report(mof_requester, catalogue["printer"], "First")
    tickets = [_report(mof_requester, catalogue["printer"], f"Ticket {n}") for n in range(3)]
    resolved = _report(mof_requester, catalogue["printer"], "Done")
    Ticket.objects.filter(pk=resolved.pk).update(status=Ticket.Status.RESOLVED)
    due = timezone.now() + timedelta(days=2)
    Ticket.objects.filter(pk=tickets[-1].pk).update(resolution_due_at=due)

    answer = screens("2")

    lines = answer.removeprefix("END ").splitlines()
    assert [line.split()[0] for line in lines] == [t.reference for t in reversed(tickets)]
    assert old.reference not in answer and resolved.reference not in answer
    assert lines[0] == (f"{tickets[-1].reference} New, due {timezone.localtime(due):%d/%m %H:%M}")


def test_it_says_when_there_is_no_open_ticket(screens, requester_phone):
    assert screens("2") == "END You have no open tickets."


def test_it_replies_to_the_latest_ticket(screens, requester_phone, mof_requester, catalogue):
    _report(mof_requester, catalogue["printer"], "Older")
    latest = _report(mof_requester, catalogue["email"], "Mailbox full")

    assert screens("3") == f"CON Reply to {latest.reference} (Mailbox full):"
    assert screens("3*I deleted old mail, still full") == (
        f"END Your reply was added to {latest.reference}."
    )
    reply = latest.events.get(kind=TicketEvent.Kind.REPLY)
    assert reply.body == "I deleted old mail, still full"
    assert reply.actor == mof_requester


def test_a_reply_sent_twice_is_added_once(screens, requester_phone, mof_requester, catalogue):
    latest = _report(mof_requester, catalogue["email"])

    screens("3*Still broken", session="ATUid_r")
    screens("3*Still broken", session="ATUid_r")

    assert latest.events.filter(kind=TicketEvent.Kind.REPLY).count() == 1


def test_there_is_nothing_to_reply_to_without_a_ticket(screens, requester_phone):
    assert screens("3") == "END You have no ticket to reply to."


def test_it_shows_the_services_with_open_outages(screens, requester_phone):
    GovService.objects.create(name="Payroll", state=GovService.State.OUTAGE)
    GovService.objects.create(name="Government e-mail", state=GovService.State.OPERATIONAL)

    assert screens("4") == "END Services with problems:\nPayroll: Outage"


def test_it_says_when_every_service_works(screens, requester_phone):
    GovService.objects.create(name="Payroll")

    assert screens("4") == "END All government services are working normally."


def test_an_unknown_number_gets_one_polite_end(screens, requester_phone):
    assert screens("", phone=STRANGER_PHONE) == (
        "END GovDesk does not know this number. Add it to your profile on the GovDesk "
        "website, confirm it, then dial again."
    )
    assert screens("1*1*Printer", phone=STRANGER_PHONE).startswith("END GovDesk does not know")
    assert not Ticket.objects.exists()


def test_the_screens_are_in_the_persons_language(screens, requester_phone, mof_requester):
    mof_requester.preferred_language = "fr"
    mof_requester.save(update_fields=["preferred_language"])

    menu = screens()
    report = screens("1*1*L'imprimante est bloquée")

    assert menu.startswith("CON GovDesk\n1. Signaler un problème")
    reference = Ticket.objects.get().reference
    assert reference in report
    assert "Report" not in report


def test_long_names_and_many_services_still_fit_a_screen(screens, requester_phone, catalogue):
    from tickets.models import Category

    for n in range(10):
        Category.objects.create(name=f"A very long service name number {n} " * 3, slug=f"s{n}")

    answer = screens("1")

    assert answer.startswith("CON Which service?\n1. ")


def test_a_ussd_callback_without_the_token_is_a_404(client, requester_phone):
    response = client.post(
        "/channels/africastalking/not-the-token/ussd/",
        {"sessionId": "s", "phoneNumber": PHONE, "text": ""},
    )
    assert response.status_code == 404
    assert TOKEN not in response.content.decode()


def test_a_ussd_callback_without_a_session_is_a_short_400(client, requester_phone):
    response = client.post(f"/channels/africastalking/{TOKEN}/ussd/", {"phoneNumber": PHONE})

    assert response.status_code == 400
    assert response.content == b"Bad callback: missing sessionId"
