"""A major incident points everyone affected to a help article: on the report page's banner
and the public status page."""

import pytest

from incidents.models import IncidentArticle
from knowledge.models import Audience
from tests.incidents.conftest import email_burst as email_burst
from tests.incidents.conftest import email_incident as email_incident
from tests.incidents.conftest import mof_colleague as mof_colleague
from tests.incidents.conftest import moj as moj
from tests.incidents.conftest import moj_requester as moj_requester
from tests.incidents.conftest import nec as nec
from tests.incidents.conftest import nec_requester as nec_requester
from tests.incidents.conftest import nicta_agent as nicta_agent
from tests.incidents.conftest import open_ticket as open_ticket
from tests.incidents.conftest import reporters as reporters
from tests.tickets.conftest import email_category as email_category
from tests.tickets.conftest import nicta_email_team as nicta_email_team


@pytest.fixture
def webmail_article(nicta, platform_admin, write_article):
    return write_article(nicta, "use-webmail", title="Use webmail while mail is down")


def test_it_links_the_incident_to_a_public_article(
    client, email_incident, webmail_article, nicta_agent, mof_requester
):
    client.force_login(nicta_agent)
    client.post(f"/incidents/{email_incident.reference}/article/", {"article": "use-webmail"})
    assert IncidentArticle.objects.get(incident=email_incident).article == webmail_article
    status = client.get("/status/").content.decode()
    assert 'href="/help/use-webmail/"' in status
    client.force_login(mof_requester)
    report = client.get("/tickets/new/").content.decode()
    assert 'href="/help/use-webmail/"' in report


def test_it_refuses_an_article_not_for_everyone(
    client, email_incident, write_article, nicta, nicta_agent
):
    write_article(nicta, "mail-runbook", title="Mail runbook", audience=Audience.AGENTS)
    client.force_login(nicta_agent)
    response = client.post(
        f"/incidents/{email_incident.reference}/article/", {"article": "mail-runbook"}, follow=True
    )
    assert "No published public help article" in response.content.decode()
    assert not IncidentArticle.objects.exists()


def test_it_lets_only_the_owner_agencys_staff_link_one(
    client, email_incident, webmail_article, mof_agent
):
    client.force_login(mof_agent)
    response = client.post(
        f"/incidents/{email_incident.reference}/article/", {"article": "use-webmail"}
    )
    assert response.status_code == 404
    assert not IncidentArticle.objects.exists()
