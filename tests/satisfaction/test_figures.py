"""The dashboards' satisfaction and deflection figures, against values worked out by hand."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from knowledge.models import Article, Deflection
from satisfaction.models import Survey
from tickets.models import Category, Ticket, TicketEvent

MONROVIA = ZoneInfo("Africa/Monrovia")
WEEK = {"period": "custom", "start": "2026-11-16", "end": "2026-11-20"}


def at(*parts):
    return datetime(*parts, tzinfo=MONROVIA)


@pytest.fixture
def answers(mof, moh, mof_requester):
    """MOF: two good and one bad in the week, one good the week before; MOH: one bad."""
    category = Category.objects.create(name="Printers", slug="printers")

    def answer(agency, rating, when):
        ticket = Ticket.objects.create(
            reference=f"T-{Ticket.objects.count() + 1}", agency=agency, requester=mof_requester,
            category=category, subject="x", description="y", impact="low", urgency="low",
            priority="P4", status="resolved", created_at=when, updated_at=when,
        )  # fmt: skip
        event = TicketEvent.objects.create(
            ticket=ticket, kind="status", data={"old": "open", "new": "resolved"}, created_at=when
        )
        Survey.objects.create(
            ticket=ticket, resolution=event, agency=agency, requester=mof_requester,
            resolved_at=when, rating=rating, answered_at=when,
        )  # fmt: skip

    answer(mof, "good", at(2026, 11, 16, 9, 0))
    answer(mof, "good", at(2026, 11, 18, 9, 0))
    answer(mof, "bad", at(2026, 11, 20, 23, 30))  # late on the last day, Monrovia time
    answer(mof, "good", at(2026, 11, 13, 9, 0))  # the week before: not counted
    answer(moh, "bad", at(2026, 11, 17, 9, 0))


@pytest.fixture
def deflections(mof, mof_requester):
    article = Article.objects.create(
        slug="printer-jam", owner_agency=mof, status="published", status_changed_at=at(2026, 1, 1),
        last_reviewed_at=at(2026, 1, 1), created_at=at(2026, 1, 1), updated_at=at(2026, 1, 1),
    )  # fmt: skip
    for when in (at(2026, 11, 17, 10, 0), at(2026, 11, 19, 10, 0), at(2026, 11, 1, 10, 0)):
        Deflection.objects.create(article=article, user=mof_requester, agency=mof, created_at=when)


def test_it_shows_the_agencys_share_good_answers_trend_and_deflections(
    client, mof_head, answers, deflections
):
    client.force_login(mof_head)
    page = client.get("/dashboard/", WEEK).content.decode()
    assert "66.7% good, of 3 answers" in page
    assert '<th scope="row">2026-11-16</th><td>3</td><td>66.7%</td>' in page
    assert "2 problems solved without a ticket" in page


def test_it_puts_satisfaction_and_deflections_in_the_league_table(
    client, council_member, answers, deflections
):
    client.force_login(council_member)
    league = {row["code"]: row for row in client.get("/council/", WEEK).context["data"].league}
    mof, moh = league["MOF"], league["MOH"]
    assert (mof["satisfaction"], mof["satisfaction_answers"], mof["deflections"]) == (66.7, 3, 2)
    assert (moh["satisfaction"], moh["satisfaction_answers"], moh["deflections"]) == (0.0, 1, 0)


def test_it_sorts_the_league_by_satisfaction(client, council_member, answers, deflections):
    client.force_login(council_member)
    response = client.get("/council/", {**WEEK, "sort": "satisfaction", "order": "desc"})
    assert [row["code"] for row in response.context["data"].league][:2] == ["MOF", "MOH"]
