"""`|when`: one way to show a moment, in each language."""

from datetime import UTC, date, datetime, timedelta

import time_machine
from django.template import Context, Template
from django.utils import translation

from core.templatetags.moments import moment_text, when

MOMENT = datetime(2026, 11, 30, 14, 44, tzinfo=UTC)


def test_it_writes_a_moment_the_same_way_in_english():
    with translation.override("en"):
        assert moment_text(MOMENT) == "30 November 2026, 14:44"
        assert moment_text(date(2026, 7, 26)) == "26 July 2026"
        assert moment_text(date(2026, 7, 26), "day") == "26 July"


def test_it_writes_french_months_in_lower_case():
    with translation.override("fr"):
        assert moment_text(MOMENT) == "30 novembre 2026, 14:44"
        assert moment_text(date(2026, 8, 1), "day") == "1 août"


def test_it_never_ends_with_a_stop():
    with translation.override("en"):
        page = Template("{% load moments %}As of {{ at|when }}.").render(Context({"at": MOMENT}))
    assert (
        page == 'As of <time datetime="2026-11-30T14:44:00+00:00">30 November 2026, 14:44</time>.'
    )


@time_machine.travel(MOMENT, tick=False)
def test_it_says_how_far_off_a_moment_is_within_a_day():
    with translation.override("en"):
        assert ">in 3\xa0hours</time>" in when(MOMENT + timedelta(hours=3), "relative")
        assert ">20\xa0minutes ago</time>" in when(MOMENT - timedelta(minutes=20), "relative")
        assert ">just now</time>" in when(MOMENT, "relative")
        assert ">2 December 2026, 14:44</time>" in when(MOMENT + timedelta(days=2), "relative")


def test_it_leaves_nothing_for_no_moment():
    assert when(None) == ""
