"""The benchmark's reports on its own results: how each scenario grows from one size to the
next, which ones are slower than the committed baseline, and the sizes it is asked for."""

import pytest

from bench.run import growth, growth_table, regression_lines, regressions, ticket_sizes


def run_at(tickets: int, **p95: float) -> dict:
    return {
        "tickets": tickets,
        "date": f"run at {tickets}",
        "results": {
            key: ({"p95_ms": value} if value is not None else {"available": False, "reason": "x"})
            for key, value in p95.items()
        },
    }


def test_it_reports_a_scenario_more_than_one_and_a_half_times_slower_as_growing():
    report = growth(
        run_at(100, agent_queue=40.0, agency_dashboard=40.0, ceiling=1.0),
        run_at(1000, agent_queue=60.0, agency_dashboard=61.0, ceiling=1.2),
    )
    assert report["tickets"] == [100, 1000]
    assert report["ratios"]["agent_queue"] == {"p95_ms": [40.0, 60.0], "ratio": 1.5}
    assert report["ratios"]["agency_dashboard"]["ratio"] == 1.52
    assert report["growing"] == ["agency_dashboard"]
    table = growth_table(report)
    assert "| agency_dashboard | 40.0 | 61.0 | 1.52x | growing |" in table
    assert "| agent_queue | 40.0 | 60.0 | 1.5x |  |" in table


def test_it_leaves_out_of_the_ratios_a_scenario_not_measured_at_both_sizes():
    report = growth(run_at(100, agent_search=None, ceiling=1.0), run_at(1000, agent_search=9.0))
    assert report["ratios"] == {}
    assert report["growing"] == []


def test_it_names_the_scenarios_more_than_a_quarter_slower_than_the_baseline():
    baseline = run_at(1000, agent_queue=100.0, agent_search=80.0, ceiling=2.0)
    report = regressions(baseline, run_at(1000, agent_queue=125.0, agent_search=100.1, ceiling=1.0))
    assert report["compared"] is True
    assert report["slower"] == {
        "agent_search": {"baseline_p95_ms": 80.0, "p95_ms": 100.1, "change": "+25%"},
    }
    line = regression_lines(report)
    assert line == (
        "Regressions at 1,000 tickets, more than 25% slower than the baseline of run at 1000: "
        "agent_search +25% (80.0 -> 100.1 ms)."
    )


def test_it_says_when_the_baseline_ran_on_another_machine():
    baseline = {**run_at(1000, ceiling=1.0), "machine": "2 cores Intel"}
    slower = regressions(baseline, {**run_at(1000, ceiling=2.0), "machine": "2 cores AMD"})
    assert slower["baseline_machine"] == "2 cores Intel"
    assert regression_lines(slower).endswith(
        "ceiling +100% (1.0 -> 2.0 ms). The baseline ran on another machine (2 cores Intel): "
        "compare on one machine."
    )
    same = regressions(baseline, {**run_at(1000, ceiling=2.0), "machine": "2 cores Intel"})
    assert "baseline_machine" not in same


def test_it_compares_each_size_with_the_baseline_run_of_the_same_size():
    baseline = run_at(1000, ceiling=2.0)
    baseline["smaller"] = run_at(100, ceiling=1.0)
    assert list(regressions(baseline, run_at(100, ceiling=1.5))["slower"]) == ["ceiling"]
    assert regressions(baseline, run_at(1000, ceiling=1.5))["slower"] == {}
    assert "none more than 25% slower" in regression_lines(
        regressions(baseline, run_at(1000, ceiling=1.5))
    )


def test_it_compares_nothing_with_a_baseline_of_another_size_and_says_so():
    report = regressions(run_at(1000, ceiling=1.0), run_at(200, ceiling=9.0))
    assert report["compared"] is False
    assert regression_lines(report) == (
        "Regressions at 200 tickets: not compared, the baseline holds no run at 200 tickets."
    )
    assert regressions({}, run_at(200, ceiling=9.0))["compared"] is False


def test_it_takes_one_or_two_sizes_smaller_first():
    assert ticket_sizes("100000") == (100000,)
    assert ticket_sizes("1000000, 100000") == (100000, 1000000)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1,2,3", "one size or two"),
        ("100,abc", "must be numbers"),
        ("0", "at least 1"),
        ("200,200", "same size twice"),
    ],
)
def test_it_refuses_sizes_it_cannot_run(raw, message):
    with pytest.raises(SystemExit, match=message):
        ticket_sizes(raw)
