"""Business calendars and service levels: an agency admin sets their agency's, a platform
admin every agency's and the government's own (the national calendar, the default levels).

Each page serves both scopes: `code` names an agency, or is None for the government's. Each
form posts to its own address; a refusal shows the whole page again with that form's errors
summarised at the top, and nothing changed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from agencies.models import Agency
from core.forms import form_add_service_error
from service_levels import selectors, services
from service_levels.forms import (
    AutoCloseForm,
    CalendarForm,
    EscalationLevelForm,
    HolidayForm,
    PolicyForm,
)
from service_levels.models import EscalationLevel

HOLIDAY_PREFIX = "holiday"


def _recomputing_note() -> str:
    return _("Open tickets are being brought up to date: this page says how many moved.")


def _scope(request, code: str | None) -> Agency | None:
    """The agency `code`, or None for the government's own pages (platform admins only)."""
    if code is None:
        if not selectors.may_configure_government(request.membership):
            raise Http404
        return None
    return selectors.agency_get_for_configuring(request.membership, code)


def _url(name: str, agency: Agency | None, anchor: str = "") -> str:
    if agency is None:
        url = reverse(f"national_{name}")
    else:
        url = reverse(f"agency_{name}", args=[agency.code])
    return f"{url}#{anchor}" if anchor else url


# -- Calendar ----------------------------------------------------------------------------------


@login_required
def calendar(request, code: str | None = None):
    """The calendar page; a POST sets the time zone and the weekly open hours."""
    agency = _scope(request, code)
    view = selectors.calendar_in_force(agency)
    form = CalendarForm(
        request.POST or None, initial=CalendarForm.initial_from(view.time_zone, view.weekly_hours)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.calendar_set_hours(
                agency=agency,
                time_zone=form.cleaned_data["time_zone"],
                weekly_hours=form.weekly_hours(),
                actor=request.user,
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The open hours are saved.") + " " + _recomputing_note())
            return redirect(_url("calendar", agency))
    return _calendar_page(request, view, hours_form=form)


@login_required
@require_POST
def holiday_add(request, code: str | None = None):
    agency = _scope(request, code)
    form = HolidayForm(request.POST, prefix=HOLIDAY_PREFIX)
    if form.is_valid():
        try:
            holiday = services.calendar_add_holiday(
                agency=agency, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is added.") % {"name": holiday.name} + " " + _recomputing_note(),
            )
            return redirect(_url("calendar", agency, "holidays"))
    return _calendar_page(request, selectors.calendar_in_force(agency), holiday_form=form)


@login_required
@require_POST
def holiday_remove(request, code: str | None = None):
    agency = _scope(request, code)
    holiday = selectors.holiday_get_in_scope(agency, request.POST.get("holiday"))
    services.calendar_remove_holiday(holiday=holiday, actor=request.user)
    messages.success(request, _("%(name)s is removed.") % {"name": holiday.name})
    return redirect(_url("calendar", agency, "holidays"))


@login_required
@require_POST
def auto_close(request, code: str):
    agency = _scope(request, code)
    form = AutoCloseForm(request.POST)
    if form.is_valid():
        try:
            agency = services.agency_set_auto_close(
                agency=agency, days=form.cleaned_data["auto_close_days"], actor=request.user
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            days = agency.auto_close_days
            text = ngettext(
                "Resolved tickets now close after %(days)s business day without a reply.",
                "Resolved tickets now close after %(days)s business days without a reply.",
                days,
            )
            messages.success(request, text % {"days": days})
            return redirect(_url("calendar", agency, "auto-close"))
    return _calendar_page(request, selectors.calendar_in_force(agency), auto_close_form=form)


def _calendar_page(request, view, *, hours_form=None, holiday_form=None, auto_close_form=None):
    agency = view.agency
    hours_form = hours_form or CalendarForm(
        initial=CalendarForm.initial_from(view.time_zone, view.weekly_hours)
    )
    holiday_form = holiday_form or HolidayForm(prefix=HOLIDAY_PREFIX)
    if agency is not None:
        auto_close_form = auto_close_form or AutoCloseForm(
            initial={"auto_close_days": agency.auto_close_days}
        )
    forms = (hours_form, holiday_form, auto_close_form)
    context = {
        "agency": agency,
        "calendar": view,
        "hours_form": hours_form,
        "holiday_form": holiday_form,
        "auto_close_form": auto_close_form,
        "error_form": next((f for f in forms if f is not None and f.errors), None),
        "hours_action": _url("calendar", agency),
        "holiday_add_action": _url("holiday_add", agency),
        "holiday_remove_action": _url("holiday_remove", agency),
        "recompute": selectors.recompute_latest(agency),
    }
    return render(request, "agencies/calendar.html", context)


# -- Service levels ----------------------------------------------------------------------------


def _posted_priority(request) -> str:
    priority = request.POST.get("priority", "")
    if priority not in selectors.PRIORITIES:
        raise BadRequest("unknown priority")
    return priority


@login_required
def service_levels(request, code: str | None = None):
    """The service-levels page; a POST sets one priority's policy (making the scope's own)."""
    agency = _scope(request, code)
    rows = selectors.service_levels_in_force(agency)
    bound = {}
    if request.method == "POST":
        priority = _posted_priority(request)
        form = PolicyForm(request.POST, prefix=priority.lower())
        if form.is_valid():
            try:
                services.sla_policy_save(
                    agency=agency, priority=priority, actor=request.user, **form.policy_values()
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(
                    request, _("The %(priority)s service level is saved.") % {"priority": priority}
                )
                return redirect(_url("service_levels", agency, priority.lower()))
        bound[priority, "policy"] = form
    return _service_levels_page(request, agency, rows, bound)


@login_required
@require_POST
def escalation_add(request, code: str | None = None):
    agency = _scope(request, code)
    rows = selectors.service_levels_in_force(agency)
    priority = _posted_priority(request)
    policy = rows[priority].own
    if policy is None:  # levels belong to the scope's own policy; the page offers none here
        raise Http404
    form = EscalationLevelForm(request.POST, prefix=f"{priority.lower()}-level")
    if form.is_valid():
        try:
            services.escalation_level_add(policy=policy, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The escalation level is added to %(priority)s.") % {"priority": priority},
            )
            return redirect(_url("service_levels", agency, priority.lower()))
    return _service_levels_page(request, agency, rows, {(priority, "level"): form})


@login_required
@require_POST
def escalation_remove(request, code: str | None = None):
    agency = _scope(request, code)
    level = selectors.level_get_in_scope(agency, request.POST.get("level"))
    services.escalation_level_remove(level=level, actor=request.user)
    priority = level.policy.priority
    messages.success(
        request, _("The escalation level is removed from %(priority)s.") % {"priority": priority}
    )
    return redirect(_url("service_levels", agency, priority.lower()))


def _service_levels_page(request, agency, rows, bound):
    sections = []
    for priority, row in rows.items():
        prefix = priority.lower()
        policy_form = bound.get((priority, "policy")) or PolicyForm(
            prefix=prefix, initial=PolicyForm.initial_from(row.in_force)
        )
        level_form = bound.get((priority, "level"))
        if level_form is None and row.own is not None:
            level_form = EscalationLevelForm(
                prefix=f"{prefix}-level",
                initial={
                    "clock": EscalationLevel.Clock.RESOLUTION,
                    "notify": EscalationLevel.Notify.ASSIGNEE_OR_TEAM,
                },
            )
        sections.append({"row": row, "form": policy_form, "level_form": level_form})
    failed = [f for f in bound.values() if f.errors]
    context = {
        "agency": agency,
        "sections": sections,
        "error_form": failed[0] if failed else None,
        "policy_action": _url("service_levels", agency),
        "level_add_action": _url("escalation_add", agency),
        "level_remove_action": _url("escalation_remove", agency),
        "recompute": selectors.recompute_latest(agency),
    }
    return render(request, "agencies/policies.html", context)
