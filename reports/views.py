"""The agency dashboard, the Council dashboard and their exports. Thin: check who asks (404
for anyone who may not see it), read the period, call one selector, render or write."""

import csv
from io import BytesIO

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.replica import reads_from_replica
from reports import charts, selectors, services
from reports.forms import AgencyPeriodForm, CouncilForm, PeriodForm

AGENCY_TABLES = (
    "status", "priority", "team", "age", "agents", "daily", "sla", "times", "categories",
    "transfers", "reopen",
)  # fmt: skip
COUNCIL_TABLES = ("league", "trend", "categories", "transfers")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _first_error(form) -> str:
    return next(iter(e for errors in form.errors.values() for e in errors))


# -- The agency dashboard ------------------------------------------------------------------


def _agency_form(request, now):
    """The period form, and the agency the dashboard shows (None until one is chosen)."""
    membership = request.membership
    agency = selectors.dashboard_agency_for(membership)
    if selectors.may_view_every_agency_dashboard(membership):
        form = AgencyPeriodForm(
            request.GET,
            agencies=selectors.agencies_for_platform_admin(),
            now=now,
            time_zone=settings.TIME_ZONE,
        )
        return form, (form.cleaned_data.get("agency") if form.is_valid() else None)
    return PeriodForm(request.GET, now=now, time_zone=agency.time_zone), agency


@login_required
@reads_from_replica
def dashboard(request):
    now = timezone.now()
    form, agency = _agency_form(request, now)
    context = {"form": form, "agency": agency}
    if agency is not None and form.range is not None:
        data = selectors.agency_dashboard(agency=agency, period=form.range, now=now)
        query = request.GET.urlencode()
        context.update(
            data=data,
            figures=_agency_figures(data, agency, query),
            key_figures=_agency_key_figures(data),
        )
    return render(request, "reports/dashboard.html", context)


def _agency_key_figures(data) -> list[dict]:
    """The row of figures the dashboard leads with: the backlog now, then the period's."""
    totals = data.totals
    return [
        {"label": _("open now"), "value": data.open_total},
        {"label": _("reported in the period"), "value": totals["created"]},
        {"label": _("resolved in the period"), "value": totals["resolved"]},
        {"label": _("first responses in time"), "value": totals["response_rate"], "percent": True},
        {"label": _("resolutions in time"), "value": totals["resolution_rate"], "percent": True},
    ]


def _council_key_figures(data) -> list[dict]:
    """The Council's row of figures: the government's whole, summed over the agencies shown."""
    return [
        {"label": _("agencies shown"), "value": len(data.league)},
        {"label": _("reported in the period"), "value": sum(d["created"] for d in data.daily)},
        {"label": _("resolved in the period"), "value": sum(d["resolved"] for d in data.daily)},
        {"label": _("open now"), "value": sum(row["open"] for row in data.league)},
        {"label": _("open over 30 days"), "value": sum(row["over_30"] for row in data.league)},
    ]


def _export_url(name: str, query: str, **kwargs) -> str:
    url = reverse(name, kwargs=kwargs)
    return f"{url}?{query}" if query else url


def _agency_figures(data, agency, query) -> dict:
    """Each table with its chart and its download, as the page shows them."""
    tables = data.tables
    daily_labels = [d["day"].isoformat() for d in data.daily]

    def figure(slug: str, chart=None) -> dict:
        return {
            "table": tables[slug],
            "chart": chart,
            "export_url": _export_url(
                "reports:dashboard_export", query, code=agency.code, table=slug
            ),
        }

    def bars(slug: str, description: str):
        table = tables[slug]
        return charts.bar_chart(
            chart_id=f"chart-{slug}",
            title=table.caption,
            description=description,
            labels=[str(row[0]) for row in table.rows],
            values=[row[1] for row in table.rows],
        )

    return {
        "status": figure(
            "status", bars("status", _("Bar chart of open tickets for each status.")) if
            data.open_total else None,
        ),
        "priority": figure(
            "priority", bars("priority", _("Bar chart of open tickets for each priority.")) if
            data.open_total else None,
        ),
        "team": figure("team"),
        "age": figure(
            "age", bars("age", _("Bar chart of open tickets by how long ago they were reported."))
            if data.open_total else None,
        ),
        "agents": figure("agents"),
        "daily": figure(
            "daily",
            charts.line_chart(
                chart_id="chart-daily",
                title=_("Reported and resolved per day"),
                description=_("Line chart of tickets reported and tickets resolved each day "
                              "of the period; the table below has every value."),
                labels=daily_labels,
                series=[
                    charts.Series(_("Reported"), [d["created"] for d in data.daily]),
                    charts.Series(_("Resolved"), [d["resolved"] for d in data.daily]),
                ],
            ) if data.has_period_data else None,
        ),
        "compliance_trend": _compliance_chart(data.daily) if data.has_period_data else None,
        "sla": figure("sla"),
        "times": figure("times"),
        "categories": figure(
            "categories",
            bars("categories", _("Bar chart of tickets reported in each of the top categories."))
            if tables["categories"].rows
            else None,
        ),
        "transfers": figure("transfers"),
        "reopen": figure("reopen"),
    }  # fmt: skip


def _compliance_chart(daily: list[dict]):
    return charts.line_chart(
        chart_id="chart-compliance",
        title=_("Service-level compliance per day"),
        description=_(
            "Line chart of the share of first responses and of resolutions that met their "
            "target each day, in per cent; days with none judged leave a gap."
        ),
        labels=[d["day"].isoformat() for d in daily],
        series=[
            charts.Series(_("First response"), [d["response_rate"] for d in daily]),
            charts.Series(_("Resolution"), [d["resolution_rate"] for d in daily]),
        ],
        unit="%",
        top=100,
    )


def _council_categories_chart(data):
    table = data.tables["categories"]
    if not table.rows:
        return None
    return charts.bar_chart(
        chart_id="chart-categories",
        title=table.caption,
        description=_("Bar chart of tickets reported in each of the top categories."),
        labels=[row[0] for row in table.rows],
        values=[row[1] for row in table.rows],
    )


@login_required
@reads_from_replica
def dashboard_export(request, code: str, table: str):
    agency = selectors.dashboard_agency_for(request.membership, code)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    if table not in AGENCY_TABLES:
        raise Http404
    now = timezone.now()
    form = PeriodForm(request.GET, now=now, time_zone=agency.time_zone)
    if form.range is None:
        return HttpResponseBadRequest(_first_error(form), content_type="text/plain")
    data = selectors.agency_dashboard(agency=agency, period=form.range, now=now)
    services.report_export_record(
        actor=request.user, agency=agency, report=f"dashboard:{agency.code}", table=table,
        fmt="csv", start=form.range.start, end=form.range.end,
    )  # fmt: skip
    filename = f"{agency.code}-{table}-{form.range.start}-{form.range.end}.csv"
    return _csv_response(data.tables[table], filename)


# -- The Council dashboard -----------------------------------------------------------------


def _require_council(request) -> None:
    if not selectors.may_view_council(request.membership):
        raise Http404


@login_required
@reads_from_replica
def council(request):
    _require_council(request)
    now = timezone.now()
    form = CouncilForm(request.GET, now=now, time_zone=settings.TIME_ZONE)
    context = {"form": form}
    if form.range is not None:
        data = _council_data(form, now)
        query = request.GET.urlencode()
        context.update(
            data=data,
            league_columns=_league_columns(form, request.GET),
            key_figures=_council_key_figures(data),
            exports={
                slug: _export_url(f"reports:council_export_{slug}", query)
                for slug in COUNCIL_TABLES
            },
            xlsx_url=_export_url("reports:council_export_league_xlsx", query),
            figures={
                slug: {
                    "table": data.tables[slug],
                    "export_url": _export_url(f"reports:council_export_{slug}", query),
                    "chart": chart,
                }
                for slug, chart in (
                    ("categories", _council_categories_chart(data)),
                    ("transfers", None),
                )
            },
            compliance_chart=_compliance_chart(data.daily) if data.has_period_data else None,
            trend_chart=charts.line_chart(
                chart_id="chart-trend",
                title=_("Reported and resolved per day, government-wide"),
                description=_("Line chart of tickets reported and resolved each day across "
                              "every agency shown; the table below has every value."),
                labels=[d["day"].isoformat() for d in data.daily],
                series=[
                    charts.Series(_("Reported"), [d["created"] for d in data.daily]),
                    charts.Series(_("Resolved"), [d["resolved"] for d in data.daily]),
                ],
            ) if data.has_period_data else None,
        )  # fmt: skip
    return render(request, "reports/council.html", context)


def _council_data(form, now):
    return selectors.council_dashboard(
        period=form.range,
        now=now,
        kind=form.cleaned_data.get("kind") or "",
        sort=form.cleaned_data.get("sort") or "",
        order=form.cleaned_data.get("order") or "",
    )


def _usual_order(column: str) -> str:
    return "asc" if column == "agency" else "desc"


def _league_columns(form, query) -> list[dict]:
    """The league's headings, each a link that sorts by it (again: the other way round)."""
    current = form.cleaned_data.get("sort") or "agency"
    order = form.cleaned_data.get("order") or _usual_order(current)
    columns = []
    for value, label in form.fields["sort"].choices:
        if not value:
            continue
        params = query.copy()
        params["sort"] = value
        if value == current:
            params["order"] = "asc" if order == "desc" else "desc"
        else:
            params["order"] = _usual_order(value)
        columns.append({
            "value": value,
            "label": label,
            "url": "?" + params.urlencode(),
            "aria_sort": ("descending" if order == "desc" else "ascending")
            if value == current else None,
        })  # fmt: skip
    return columns


@login_required
@reads_from_replica
def council_export(request, table: str, fmt: str = "csv"):
    _require_council(request)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    now = timezone.now()
    form = CouncilForm(request.GET, now=now, time_zone=settings.TIME_ZONE)
    if form.range is None:
        return HttpResponseBadRequest(_first_error(form), content_type="text/plain")
    data = _council_data(form, now)
    services.report_export_record(
        actor=request.user, agency=None, report="council", table=table, fmt=fmt,
        start=form.range.start, end=form.range.end,
    )  # fmt: skip
    filename = f"council-{table}-{form.range.start}-{form.range.end}.{fmt}"
    if fmt == "xlsx":
        return _xlsx_response(data.tables[table], filename)
    return _csv_response(data.tables[table], filename)


# -- Files -------------------------------------------------------------------------------------


def _cell(value):
    """Spreadsheets run a cell that starts like a formula: such text is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_response(table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so that spreadsheets read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(table.headings)
    for row in table.rows:
        writer.writerow([_cell(value) for value in row])
    return response


def _xlsx_response(table, filename: str) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    # Sheet names may not hold some characters, nor run past 31.
    sheet.title = "".join(c for c in table.caption if c not in "[]:*?/\\")[:31] or "Sheet"
    sheet.append(table.headings)
    for row in table.rows:
        sheet.append([_cell(value) for value in row])
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
