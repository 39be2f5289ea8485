"""The benchmark's agent keeps one saved view, in a new database and in a reused one alike."""

from bench.run import SAVED_VIEW_NAME, SAVED_VIEW_QUERY, saved_view_ensure
from workspace.models import SavedView


def test_it_saves_the_agents_view_once_however_often_the_benchmark_runs(mof_agent):
    saved_view_ensure(mof_agent)
    saved_view_ensure(mof_agent)  # a run on the database a run before it seeded

    view = SavedView.objects.get(owner=mof_agent)
    assert (view.name, view.query, view.scope) == (SAVED_VIEW_NAME, SAVED_VIEW_QUERY, "personal")
    assert view.agency_id == mof_agent.memberships.get().agency_id
