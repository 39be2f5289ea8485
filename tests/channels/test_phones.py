"""Mobile numbers: added on the profile, confirmed by a code sent by SMS; imported by an agency
admin; set by `manage.py phone_set`. Only confirmed numbers are matched."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from channels.models import PhoneNumber
from channels.selectors import phone_confirmed_owner
from mail.models import Outbox
from tests.channels.conftest import MOF_AGENT_PHONE, MOF_REQUESTER_PHONE, confirm_phone

NUMBER = MOF_REQUESTER_PHONE


def _code_sent() -> str:
    sms = Outbox.objects.filter(channel=Outbox.Channel.SMS).latest("pk")
    return re.search(r"\b(\d{6})\b", sms.body_text).group(1)


def test_the_profile_links_to_the_mobile_number_page(client, mof_requester):
    client.force_login(mof_requester)

    response = client.get(reverse("profile"))

    assert reverse("phone") in response.content.decode()


def test_the_phone_page_shows_no_number_yet(client, mof_requester):
    client.force_login(mof_requester)

    response = client.get(reverse("phone"))

    assert response.status_code == 200
    assert "Add your mobile number" in response.content.decode()


def test_it_adds_a_number_and_sends_a_code(client, mof_requester):
    client.force_login(mof_requester)

    response = client.post(reverse("phone"), {"number": "+254 711 000 001"})

    assert response.status_code == 302
    phone = PhoneNumber.objects.get(user=mof_requester)
    assert (phone.number, phone.is_confirmed) == (NUMBER, False)
    sms = Outbox.objects.get(channel=Outbox.Channel.SMS)
    assert sms.to_address == NUMBER
    assert re.fullmatch(r"Your GovDesk code is \d{6}\. It expires in 15 minutes\.", sms.body_text)
    assert phone_confirmed_owner(NUMBER) is None


def test_it_confirms_the_number_with_the_code(client, mof_requester):
    client.force_login(mof_requester)
    client.post(reverse("phone"), {"number": NUMBER})

    response = client.post(reverse("phone_confirm"), {"code": _code_sent()})

    assert response.status_code == 302
    assert phone_confirmed_owner(NUMBER).user == mof_requester


def test_a_wrong_code_is_refused_and_counted(client, mof_requester):
    client.force_login(mof_requester)
    client.post(reverse("phone"), {"number": NUMBER})
    wrong = "000000" if _code_sent() != "000000" else "111111"

    response = client.post(reverse("phone_confirm"), {"code": wrong})

    assert response.status_code == 400
    assert "This code is not right" in response.content.decode()
    phone = PhoneNumber.objects.get(user=mof_requester)
    assert (phone.is_confirmed, phone.code_attempts) == (False, 1)


def test_five_wrong_codes_lock_the_code(client, mof_requester):
    client.force_login(mof_requester)
    client.post(reverse("phone"), {"number": NUMBER})
    code = _code_sent()
    wrong = "000000" if code != "000000" else "111111"
    for _try in range(5):
        client.post(reverse("phone_confirm"), {"code": wrong})

    response = client.post(reverse("phone_confirm"), {"code": code})

    assert "Too many wrong codes" in response.content.decode()
    assert not PhoneNumber.objects.get(user=mof_requester).is_confirmed


def test_a_number_confirmed_by_someone_else_is_refused(client, mof_requester, mof_agent):
    confirm_phone(mof_agent, NUMBER)
    client.force_login(mof_requester)

    response = client.post(reverse("phone"), {"number": NUMBER})

    assert response.status_code == 400
    assert "Another person has already confirmed this number." in response.content.decode()
    assert not PhoneNumber.objects.filter(user=mof_requester).exists()


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("hello", "Enter a mobile number such as +254711000000."),
        ("+254711", "This is not a valid phone number."),
        ("+254 20 2222222", "Enter a mobile number: this one cannot get SMS."),
        ("1" * 40, "Ensure this value has at most 32 characters"),
    ],
)
def test_a_bad_number_gets_a_clear_error(client, mof_requester, number, message):
    client.force_login(mof_requester)

    response = client.post(reverse("phone"), {"number": number})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Outbox.objects.exists()


def test_codes_sent_are_rate_limited(client, mof_requester, settings):
    settings.SMS_CODE_RATE = "2/hour"
    client.force_login(mof_requester)

    client.post(reverse("phone"), {"number": "+254711000001"})
    client.post(reverse("phone"), {"number": "+254711000002"})
    response = client.post(reverse("phone"), {"number": "+254711000003"})

    assert "Too many codes sent. Try again later." in response.content.decode()
    assert Outbox.objects.filter(channel=Outbox.Channel.SMS).count() == 2


def test_a_person_chooses_news_by_sms(client, mof_requester):
    phone = confirm_phone(mof_requester, NUMBER)
    client.force_login(mof_requester)

    client.post(reverse("phone_updates"), {"sms_updates": "on"})

    phone.refresh_from_db()
    assert phone.sms_updates is True


def test_a_person_removes_their_number(client, mof_requester):
    confirm_phone(mof_requester, NUMBER)
    client.force_login(mof_requester)

    client.post(reverse("phone_remove"))

    assert not PhoneNumber.objects.exists()


# -- Import by an agency admin -----------------------------------------------------------------


def _csv(text: str):
    return SimpleUploadedFile("numbers.csv", text.encode(), content_type="text/csv")


def test_an_agency_admin_imports_confirmed_numbers(
    client, mof_head, mof_requester, mof_agent, django_assert_num_queries
):
    client.force_login(mof_head)
    url = reverse("phone_import", args=["MOF"])

    confirm_phone(mof_agent, "+254711000009")
    data = {"file": _csv(f"email,number\n{mof_requester.email},{NUMBER}\n"
                         f"AGENT@mof.gov.test, {MOF_AGENT_PHONE}\n")}  # fmt: skip

    # session, user, memberships, the agency, the agency's people, numbers confirmed by
    # others; a savepoint, the people's numbers (locked), their update, the new ones, the
    # audit entry, the release: the same however many lines
    with django_assert_num_queries(12):
        response = client.post(url, data)

    assert response.status_code == 302
    assert phone_confirmed_owner(NUMBER).user == mof_requester
    assert phone_confirmed_owner(MOF_AGENT_PHONE).user == mof_agent


def test_an_import_with_a_bad_line_sets_nothing(client, mof_head, mof_requester, moh_requester):
    client.force_login(mof_head)

    response = client.post(
        reverse("phone_import", args=["MOF"]),
        {"file": _csv(f"{mof_requester.email},{NUMBER}\n{moh_requester.email},+254711000005\n"
                      f"{mof_requester.email},not-a-number\n")},
    )  # fmt: skip

    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 2: requester@moh.gov.test is not a member of your agency." in page
    assert "Line 3: not a mobile number." in page
    assert not PhoneNumber.objects.exists()


def test_an_import_that_is_not_text_is_refused(client, mof_head):
    client.force_login(mof_head)

    response = client.post(
        reverse("phone_import", args=["MOF"]),
        {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad", content_type="text/csv")},
    )

    assert response.status_code == 400
    assert "Save the file as CSV in UTF-8." in response.content.decode()


def test_the_import_page_is_a_404_for_another_agencys_admin(client, moh_head):
    client.force_login(moh_head)

    assert client.get(reverse("phone_import", args=["MOF"])).status_code == 404


def test_the_import_page_is_a_404_for_an_agent(client, mof_agent):
    client.force_login(mof_agent)

    assert client.get(reverse("phone_import", args=["MOF"])).status_code == 404


def test_the_import_page_shows_its_form(client, mof_head):
    client.force_login(mof_head)

    response = client.get(reverse("phone_import", args=["MOF"]))

    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


# -- phone_set ---------------------------------------------------------------------------------


def test_phone_set_confirms_a_number(mof_requester):
    call_command("phone_set", "REQUESTER@mof.gov.test", NUMBER, "--confirmed")

    assert phone_confirmed_owner(NUMBER).user == mof_requester


def test_phone_set_without_confirmed_sends_a_code(mof_requester):
    call_command("phone_set", mof_requester.email, NUMBER)

    assert phone_confirmed_owner(NUMBER) is None
    assert Outbox.objects.filter(channel=Outbox.Channel.SMS, to_address=NUMBER).exists()


def test_phone_set_refuses_a_stranger_and_a_bad_number(mof_requester):
    with pytest.raises(CommandError, match="No person has the e-mail address"):
        call_command("phone_set", "nobody@example.test", NUMBER, "--confirmed")
    with pytest.raises(CommandError, match="not a valid phone number"):
        call_command("phone_set", mof_requester.email, "+254711", "--confirmed")
