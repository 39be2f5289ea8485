"""The notices page, marking notices read, and the unread count in the header."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.context_processors import notices as notices_context
from notifications.models import Kind, Notice
from notifications.selectors import notices_unread_count


def notice_for(user, *, text="Something happened", ticket=None, minutes_ago=0, read=False):
    now = timezone.now()
    return Notice.objects.create(
        user=user,
        kind=Kind.TICKET_CREATED,
        ticket=ticket,
        text=text,
        created_at=now - timedelta(minutes=minutes_ago),
        read_at=now if read else None,
    )


@pytest.fixture
def signed_in_agent(client, mof_agent):
    client.force_login(mof_agent)
    return client


# -- The page -------------------------------------------------------------------------------


def test_it_lists_the_persons_own_notices_newest_first_with_links_to_their_tickets(
    signed_in_agent, open_ticket, service_desk
):
    open_ticket(subject="Printer offline")
    open_ticket(subject="Screen flickers")
    response = signed_in_agent.get("/notices/")
    assert response.status_code == 200
    assert [n.text for n in response.context["notices"]] == [
        "New ticket MOF-000002 for your team: Screen flickers",
        "New ticket MOF-000001 for your team: Printer offline",
    ]
    html = response.content.decode()
    assert 'href="/tickets/MOF-000002/"' in html
    assert 'href="/tickets/MOF-000001/"' in html


def test_it_shows_no_one_elses_notices(signed_in_agent, mof_agent, mof_second_agent, moh_agent):
    notice_for(mof_agent, text="Mine")
    notice_for(mof_second_agent, text="News for a colleague")
    notice_for(moh_agent, text="News for another ministry")
    response = signed_in_agent.get("/notices/")
    assert [n.text for n in response.context["notices"]] == ["Mine"]
    assert "News for" not in response.content.decode()


def test_it_marks_unread_notices_in_words(signed_in_agent, mof_agent):
    notice_for(mof_agent, text="Unread news")
    notice_for(mof_agent, text="Old news", minutes_ago=5, read=True)
    html = signed_in_agent.get("/notices/").content.decode()
    assert html.count('<strong class="tag">New</strong>') == 1
    unread_row, read_row = notice_rows(html)
    assert "Unread news" in unread_row and "Mark as read" in unread_row
    assert "Old news" in read_row and "Mark as read" not in read_row
    assert '<span class="visually-hidden">Read, </span>' in read_row


def notice_rows(html: str) -> list[str]:
    """Each notice's line on the page, in its order."""
    return [row.split("</li>")[0] for row in html.split('<li class="notice')[1:]]


def test_it_shows_each_notice_on_one_line_with_its_ticket_and_time(
    signed_in_agent, mof_agent, open_ticket, service_desk
):
    ticket = open_ticket(subject="Printer offline")
    Notice.objects.filter(user=mof_agent).delete()
    notice = notice_for(mof_agent, text="Printer news", ticket=ticket, minutes_ago=5)
    (row,) = notice_rows(signed_in_agent.get("/notices/").content.decode())
    assert '<span class="notice-text">Printer news</span>' in row
    assert f'<a href="/tickets/{ticket.reference}/">{ticket.reference}</a>' in row
    assert f'<time datetime="{timezone.localtime(notice.created_at).isoformat()}">' in row
    assert "5\xa0minutes ago</time>" in row


def test_it_makes_read_notices_quieter(signed_in_agent, mof_agent):
    notice_for(mof_agent, text="Unread news")
    notice_for(mof_agent, text="Old news", minutes_ago=5, read=True)
    unread_row, read_row = notice_rows(signed_in_agent.get("/notices/").content.decode())
    assert unread_row.startswith('">')
    assert read_row.startswith(' notice-read">')


def test_it_says_so_when_there_are_no_notices(signed_in_agent):
    html = signed_in_agent.get("/notices/").content.decode()
    assert "You have no notices yet." in html
    assert "Mark all as read" not in html


def test_it_pages_notices_in_a_fixed_number_of_queries(
    signed_in_agent, mof_agent, open_ticket, django_assert_num_queries
):
    ticket = open_ticket()
    for n in range(27):
        notice_for(mof_agent, text=f"Notice {n}", ticket=ticket, minutes_ago=n)
    # 1 session, 1 user, 1 memberships (header), 1 count of notices (pages), 1 page of
    # notices with their tickets' references, 1 unread count (header).
    with django_assert_num_queries(6):
        response = signed_in_agent.get("/notices/")
    assert len(response.context["notices"]) == 25
    assert "Page 1 of 2" in response.content.decode()
    second = signed_in_agent.get("/notices/?page=2")
    assert [n.text for n in second.context["notices"]] == ["Notice 25", "Notice 26"]


def test_it_sends_someone_signed_out_to_sign_in(client):
    response = client.get("/notices/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# -- Marking read ---------------------------------------------------------------------------


def test_it_marks_one_notice_read(signed_in_agent, mof_agent):
    notice = notice_for(mof_agent)
    other = notice_for(mof_agent, text="Still new")
    response = signed_in_agent.post(f"/notices/{notice.pk}/read/", {"next": "/notices/?page=1"})
    assert response.status_code == 302
    assert response["Location"] == "/notices/?page=1"
    notice.refresh_from_db()
    other.refresh_from_db()
    assert notice.read_at is not None
    assert other.read_at is None


def test_it_keeps_the_moment_a_notice_was_first_read(signed_in_agent, mof_agent):
    notice = notice_for(mof_agent, read=True)
    first_read = notice.read_at
    signed_in_agent.post(f"/notices/{notice.pk}/read/")
    notice.refresh_from_db()
    assert notice.read_at == first_read


def test_it_answers_404_for_someone_elses_notice(signed_in_agent, mof_second_agent, moh_agent):
    for owner in (mof_second_agent, moh_agent):
        notice = notice_for(owner)
        assert signed_in_agent.post(f"/notices/{notice.pk}/read/").status_code == 404
        notice.refresh_from_db()
        assert notice.read_at is None


def test_it_answers_404_for_a_notice_that_does_not_exist(signed_in_agent):
    assert signed_in_agent.post("/notices/999999/read/").status_code == 404


def test_it_marks_read_only_by_post(signed_in_agent, mof_agent):
    notice = notice_for(mof_agent)
    assert signed_in_agent.get(f"/notices/{notice.pk}/read/").status_code == 405
    assert signed_in_agent.get("/notices/read/").status_code == 405
    notice.refresh_from_db()
    assert notice.read_at is None


def test_it_marks_all_the_persons_notices_read_and_no_one_elses(
    signed_in_agent, mof_agent, mof_second_agent
):
    mine = [notice_for(mof_agent), notice_for(mof_agent)]
    theirs = notice_for(mof_second_agent)
    response = signed_in_agent.post("/notices/read/", follow=True)
    assert response.redirect_chain == [("/notices/", 302)]
    assert "All your notices are marked as read." in response.content.decode()
    assert not Notice.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_sends_the_person_back_to_this_site_only(signed_in_agent, mof_agent):
    notice = notice_for(mof_agent)
    response = signed_in_agent.post(
        f"/notices/{notice.pk}/read/", {"next": "https://elsewhere.example/"}
    )
    assert response["Location"] == "/notices/"


# -- The unread count in the header ---------------------------------------------------------


def test_it_shows_the_unread_count_in_the_header_in_words(signed_in_agent, mof_agent):
    notice_for(mof_agent)
    notice_for(mof_agent)
    notice_for(mof_agent, read=True)
    html = signed_in_agent.get("/").content.decode()
    assert 'Notices (2<span class="visually-hidden"> unread</span>)</a>' in html


def test_it_shows_no_count_when_all_is_read(signed_in_agent, mof_agent):
    notice_for(mof_agent, read=True)
    html = signed_in_agent.get("/").content.decode()
    assert 'href="/notices/">Notices</a>' in html


def test_it_caps_the_count_in_the_header(signed_in_agent, mof_agent):
    now = timezone.now()
    Notice.objects.bulk_create(
        Notice(user=mof_agent, kind=Kind.TICKET_CREATED, text=f"N{n}", created_at=now)
        for n in range(120)
    )
    assert notices_unread_count(mof_agent) == 100
    html = signed_in_agent.get("/").content.decode()
    assert 'Notices (99+<span class="visually-hidden"> unread</span>)' in html


def test_it_counts_unread_notices_in_one_query_on_a_page(
    signed_in_agent, mof_agent, django_assert_num_queries
):
    notice_for(mof_agent)
    # 1 session, 1 user, 1 memberships (header), 1 unread count (header); the home page's own:
    # 1 the person's open tickets, 1 open major incidents, 1 services not working.
    with django_assert_num_queries(7) as queries:
        signed_in_agent.get("/")
    counts = [q["sql"] for q in queries.captured_queries if "notifications_notice" in q["sql"]]
    assert len(counts) == 1
    assert counts[0].startswith("SELECT COUNT(*)")
    assert "LIMIT 100" in counts[0]


def test_it_counts_on_the_notice_inbox_index(mof_agent, mof_second_agent):
    # A busy inbox: thousands of notices read long ago, a few new ones.
    long_ago = timezone.now() - timedelta(days=30)
    Notice.objects.bulk_create(
        Notice(
            user=user,
            kind=Kind.TICKET_CREATED,
            text="Old news",
            created_at=long_ago,
            read_at=None if n % 500 == 0 else long_ago,
        )
        for user in (mof_agent, mof_second_agent)
        for n in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE notifications_notice")
    with CaptureQueriesContext(connection) as queries:
        assert notices_unread_count(mof_agent) == 4
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + queries.captured_queries[0]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "notice_inbox" in plan, plan


def test_it_counts_nothing_until_a_template_shows_the_count(mof_agent, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = mof_agent
    with django_assert_num_queries(0):
        context = notices_context(request)
    notice_for(mof_agent)
    with django_assert_num_queries(1):
        assert context["unread_notices_count"]() == 1
        assert context["unread_notices_count"]() == 1


def test_it_gives_no_count_to_someone_signed_out(db, client, django_assert_num_queries):
    # Nothing but the page: no session, no user, no count.
    with django_assert_num_queries(0):
        html = client.get("/").content.decode()
    assert 'href="/notices/"' not in html
