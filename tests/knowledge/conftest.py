"""Knowledge fixtures: articles written and published through the services, one per audience."""

import pytest

from accounts.models import Membership
from knowledge import services
from knowledge.models import Audience
from tickets.models import Category


@pytest.fixture
def write_article(platform_admin):
    """Writes (and by default publishes) an article through the services, as its owners would."""
    membership = Membership.objects.get(user=platform_admin)

    def write_article(
        owner, slug, *, title, body="How to do it.", audience=Audience.PUBLIC, language="en",
        publish=True, french=None, summary="",
    ):  # fmt: skip
        article = services.article_create(
            actor=platform_admin, membership=membership, owner_agency=owner, language=language,
            title=title, body=body, summary=summary, audience=audience, slug=slug,
        )  # fmt: skip
        if french:
            services.article_edit(
                article=article, actor=platform_admin, membership=membership, language="fr",
                title=french[0], body=french[1],
            )  # fmt: skip
        if publish:
            services.article_set_status(
                article=article, actor=platform_admin, membership=membership, status="published"
            )
        article.refresh_from_db()
        return article

    return write_article


@pytest.fixture
def audience_articles(write_article, mof, moh):
    """One published article per audience, all about printers, MOF owning the agency one."""
    return {
        Audience.PUBLIC: write_article(mof, "printer-public", title="Printer jammed: public"),
        Audience.CIVIL_SERVANTS: write_article(
            mof,
            "printer-civil",
            title="Printer jammed: civil servants",
            audience=Audience.CIVIL_SERVANTS,
        ),
        Audience.AGENCY: write_article(
            mof, "printer-mof", title="Printer jammed: MOF staff", audience=Audience.AGENCY
        ),
        Audience.AGENTS: write_article(
            moh, "printer-agents", title="Printer jammed: agents", audience=Audience.AGENTS
        ),
    }


@pytest.fixture
def printer_category(db):
    return Category.objects.create(name="Computer and printer", slug="computer-and-printer")
