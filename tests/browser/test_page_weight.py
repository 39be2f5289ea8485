"""Every page of the first journey stays light enough for a slow government link."""

import pytest

from tests.browser.conftest import JOURNEY_PAGES, Transfer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# The budget for one first load (an empty cache), counted as gzip sends it. Change it here.
KB = 1024
PAGE_BUDGET_BYTES = 100 * KB  # the document and every sub-resource together
JAVASCRIPT_BUDGET_BYTES = 45 * KB  # of that, the scripts


def _total(transfers: list[Transfer]) -> int:
    return sum(transfer.gzip_bytes for transfer in transfers)


def _describe(transfers: list[Transfer]) -> str:
    return "\n".join(
        f"  {transfer.gzip_bytes / KB:7.1f} KB  {transfer.resource_type:<10} {transfer.url}"
        for transfer in transfers
    )


@pytest.mark.parametrize("journey_page", JOURNEY_PAGES, ids=lambda journey_page: journey_page.name)
def test_it_keeps_the_first_load_within_the_weight_budget(visit, journey_page):
    transfers = visit(journey_page).transfer_log.transfers()

    scripts = [transfer for transfer in transfers if transfer.resource_type == "script"]
    # A measurement that saw nothing would pass every budget.
    assert {transfer.resource_type for transfer in transfers} >= {"document", "stylesheet"}
    assert _total(transfers) <= PAGE_BUDGET_BYTES, (
        f"{journey_page.name} weighs {_total(transfers) / KB:.1f} KB gzipped, over the "
        f"{PAGE_BUDGET_BYTES / KB:.0f} KB budget:\n{_describe(transfers)}"
    )
    assert _total(scripts) <= JAVASCRIPT_BUDGET_BYTES, (
        f"{journey_page.name} loads {_total(scripts) / KB:.1f} KB of JavaScript gzipped, over "
        f"the {JAVASCRIPT_BUDGET_BYTES / KB:.0f} KB budget:\n{_describe(scripts)}"
    )
