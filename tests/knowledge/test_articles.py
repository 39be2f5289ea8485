"""Keeping articles: who writes and publishes, versions per language, history, reminders."""

from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership
from knowledge import services
from knowledge.models import Article, ArticleRevision, ArticleUse, Audience
from mail.models import Outbox
from tickets import services as ticket_services
from tickets.markdown import render_article_markdown


def _membership(user):
    return Membership.objects.get(user=user)


def _draft(user, agency, **fields):
    defaults = {"language": "en", "title": "Reset your password", "body": "Open the portal."}
    return services.article_create(
        actor=user, membership=_membership(user), owner_agency=agency, **{**defaults, **fields}
    )


def test_it_lets_the_owners_agents_write_and_its_admin_publish(mof, mof_agent, mof_head):
    article = _draft(mof_agent, mof)
    services.article_set_status(
        article=article, actor=mof_agent, membership=_membership(mof_agent), status="in_review"
    )
    with pytest.raises(services.ArticleRefused):
        services.article_set_status(
            article=article, actor=mof_agent, membership=_membership(mof_agent), status="published"
        )
    article = services.article_set_status(
        article=article, actor=mof_head, membership=_membership(mof_head), status="published"
    )
    assert (article.status, article.status_changed_by) == ("published", mof_head)


def test_it_refuses_another_agencys_staff(mof, moh_agent):
    with pytest.raises(services.ArticleRefused):
        _draft(moh_agent, mof)
    assert not Article.objects.exists()


def test_it_refuses_a_move_that_skips_a_step(mof, mof_agent, mof_head):
    article = _draft(mof_agent, mof)
    services.article_set_status(
        article=article, actor=mof_head, membership=_membership(mof_head), status="archived"
    )
    with pytest.raises(ValidationError):
        services.article_set_status(
            article=article, actor=mof_head, membership=_membership(mof_head), status="in_review"
        )


def test_it_keeps_one_version_per_language_and_every_earlier_text(mof, mof_agent):
    article = _draft(mof_agent, mof)
    membership = _membership(mof_agent)
    services.article_edit(
        article=article, actor=mof_agent, membership=membership, language="fr",
        title="Réinitialiser votre mot de passe", body="Ouvrez le portail.",
    )  # fmt: skip
    services.article_edit(
        article=article, actor=mof_agent, membership=membership, language="en",
        title="Reset your password", body="Open the new portal.",
    )  # fmt: skip
    assert sorted(article.versions.values_list("language", "body")) == [
        ("en", "Open the new portal."), ("fr", "Ouvrez le portail."),
    ]  # fmt: skip
    assert ArticleRevision.objects.filter(article=article, language="en").count() == 2


def test_it_shows_the_history_with_a_diff(client, mof, mof_agent):
    article = _draft(mof_agent, mof)
    services.article_edit(
        article=article, actor=mof_agent, membership=_membership(mof_agent), language="en",
        title="Reset your password", body="Open the new portal.",
    )  # fmt: skip
    client.force_login(mof_agent)
    page = client.get(f"/help/{article.slug}/history/").content.decode()
    assert "<del>-Open the portal.</del>" in page and "<ins>+Open the new portal.</ins>" in page


def test_it_refuses_an_empty_title_and_stores_nothing(mof, mof_agent):
    with pytest.raises(ValidationError):
        _draft(mof_agent, mof, title="  ")
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="#" onclick="alert(1)">x</a>',
    ],
)
def test_it_neutralises_script_and_event_handlers_in_a_body(body):
    found = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, dict(attrs)))

    Collector().feed(render_article_markdown(body))
    assert {tag for tag, _ in found} <= {"p", "a"}
    for _tag, attributes in found:
        assert not any(name.startswith("on") for name in attributes)
        assert not attributes.get("href", "").startswith("javascript")


def test_it_drops_an_image_from_another_site_and_keeps_its_own():
    html = render_article_markdown(
        "![tracker](https://elsewhere.test/p.png) ![step](/static/favicon.svg) "
        "![sneaky](//elsewhere.test/p.png)"
    )
    assert html.count("<img") == 3
    assert 'src="/static/favicon.svg"' in html
    assert "elsewhere.test" not in html


def test_it_warns_the_editor_of_what_is_neutralised(client, mof, mof_agent):
    client.force_login(mof_agent)
    response = client.post(
        "/help/manage/new/",
        {"language": "en", "title": "Tricky", "body": "<script>x</script>\n\n![a](https://x.test/a.png)",
         "audience": "public"},
        follow=True,
    )  # fmt: skip
    page = response.content.decode()
    assert "shown as text, never run" in page and "Images from other sites are left out" in page


def test_it_makes_a_draft_from_a_resolved_ticket_without_the_requesters_data(
    client, mof, mof_agent, mof_requester, printer_category
):
    ticket = ticket_services.ticket_create(
        requester=mof_requester, requester_agency=mof, category=printer_category,
        subject="Printer shows E-042", description="Musu Kollie, +231 77 123 4567, desk 4.",
        impact="low", urgency="low",
    )  # fmt: skip
    ticket_services.ticket_reply(
        ticket=ticket, author=mof_agent, as_agent=True,
        body="Hello Musu Kollie: switch it off, wait 10 s, then on. Call +231 77 123 4567 "
        "or write to requester@mof.gov.test if not.",
    )  # fmt: skip
    client.force_login(mof_agent)
    assert client.post(f"/help/from-ticket/{ticket.reference}/").status_code == 302
    assert not Article.objects.exists()  # not resolved yet: refused
    ticket_services.ticket_update(ticket=ticket, actor=mof_agent, status="resolved")
    response = client.post(f"/help/from-ticket/{ticket.reference}/")
    article = Article.objects.get()
    assert response["Location"] == f"/help/{article.slug}/edit/"
    version = article.versions.get()
    assert (article.status, article.audience, article.owner_agency) == (
        "draft",
        Audience.AGENCY,
        mof,
    )
    assert version.title == "Printer shows E-042"
    assert "switch it off" in version.body
    for personal in ("Musu", "Kollie", "77 123", "requester@mof.gov.test", "desk 4"):
        assert personal not in version.body


def test_it_refuses_a_draft_from_a_ticket_of_another_agency(
    client, mof, moh_agent, mof_requester, printer_category
):
    ticket = ticket_services.ticket_create(
        requester=mof_requester, requester_agency=mof, category=printer_category,
        subject="x", description="y", impact="low", urgency="low",
    )  # fmt: skip
    client.force_login(moh_agent)
    assert client.post(f"/help/from-ticket/{ticket.reference}/").status_code == 404


def test_it_counts_an_article_for_a_ticket_answered_with_its_link(
    committed, write_article, mof, mof_agent, mof_requester, printer_category
):
    article = write_article(mof, "printer-jam", title="Printer jammed")
    ticket = ticket_services.ticket_create(
        requester=mof_requester, requester_agency=mof, category=printer_category,
        subject="Printer jammed", description="Again.", impact="low", urgency="low",
    )  # fmt: skip
    with committed():
        ticket_services.ticket_reply(
            ticket=ticket, author=mof_agent, as_agent=True,
            body="See [Printer jammed](http://127.0.0.1:8000/help/printer-jam/).",
        )  # fmt: skip
    with committed():
        ticket_services.ticket_reply(
            ticket=ticket, author=mof_agent, as_agent=True, body="Again: /help/printer-jam/"
        )
    assert list(ArticleUse.objects.values_list("article", "ticket")) == [(article.pk, ticket.pk)]


def test_it_reminds_the_owners_once_when_a_review_is_due(
    write_article, mof, mof_head, time_machine
):
    article = write_article(mof, "quota", title="Mailbox full")
    assert services.articles_review_remind() == 0
    time_machine.move_to(article.review_due_at.timestamp() + 60)
    assert services.articles_review_remind() == 1
    assert services.articles_review_remind() == 0  # run again: nobody is told twice
    [reminder] = Outbox.objects.filter(dedupe_key__startswith="article-review:")
    assert reminder.to_address == mof_head.email and "/help/quota/edit/" in reminder.body_text


def test_it_shows_its_owners_what_deflects_and_fails_most(client, write_article, mof, mof_agent):
    solved = write_article(mof, "quota", title="Mailbox full")
    failed = write_article(mof, "vpn", title="VPN drops")
    services.deflection_record(article=solved, user=None, agency=mof)
    services.feedback_record(article=failed, user=None, helpful=False)
    client.force_login(mof_agent)
    response = client.get("/help/manage/")
    assert [a.slug for a, _v in response.context["deflect_most"]] == ["quota"]
    assert [a.slug for a, _v in response.context["fail_most"]] == ["vpn"]
