from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import MemberAddForm, MemberRoleForm
from accounts.permissions import Right, membership_has_right
from accounts.selectors import members_of_agency
from accounts.services import member_add, member_change_role, member_remove
from agencies import selectors, services
from agencies.forms import AgencyForm, IntakeTeamForm, TeamForm
from core.forms import form_add_service_error


def _require_platform_admin(request) -> None:
    if not membership_has_right(request.membership, Right.MANAGE_AGENCIES):
        raise PermissionDenied


@login_required
def agency_list(request):
    _require_platform_admin(request)
    agencies = selectors.agencies_for_platform()
    return render(request, "agencies/agency_list.html", {"agencies": agencies})


@login_required
def agency_create(request):
    _require_platform_admin(request)
    form = AgencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agency = services.agency_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        except IntegrityError:
            form.add_error("code", _("Another agency already uses this code."))
        else:
            messages.success(request, _("%(name)s is created.") % {"name": agency.name})
            return redirect("agency_list")
    return render(request, "agencies/agency_form.html", {"form": form, "agency": None})


@login_required
def agency_edit(request, code: str):
    agency = selectors.agency_get_for_manager(request.membership, code, Right.MANAGE_AGENCIES)
    initial = {
        "code": agency.code,
        "name": agency.name,
        "kind": agency.kind,
        "parent": agency.parent,
        "time_zone": agency.time_zone,
        "domains": list(agency.domains.values_list("domain", flat=True)),
        "is_active": agency.is_active,
    }
    form = AgencyForm(request.POST or None, initial=initial, agency=agency)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.agency_update(agency=agency, actor=request.user, **fields)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": agency.name})
            return redirect("agency_list")
    return render(request, "agencies/agency_form.html", {"form": form, "agency": agency})


@login_required
def agency_settings(request, code: str):
    """One page for everything an agency admin sets: links only, so no query past the agency."""
    agency = selectors.agency_get_for_manager(request.membership, code, Right.CONFIGURE_AGENCY)
    # Looked up first, so that an outsider's POST is a 404 like any other of theirs.
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return render(request, "agencies/settings.html", {"agency": agency})


@login_required
def team_list(request, code: str):
    """The agency's teams, and (a POST) the choice of its intake team."""
    agency = selectors.agency_get_for_manager(request.membership, code, Right.MANAGE_TEAMS)
    teams = list(selectors.teams_of_agency(agency))
    may_configure = membership_has_right(request.membership, Right.CONFIGURE_AGENCY, agency)
    if request.method == "POST" and not may_configure:
        raise PermissionDenied
    form = IntakeTeamForm(request.POST or None, teams=teams, current=agency.intake_team_id)
    if request.method == "POST" and form.is_valid():
        team = form.teams.get(form.cleaned_data["intake_team"])
        try:
            services.agency_set_intake_team(agency=agency, team=team, actor=request.user)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            if team:
                text = _("%(team)s now receives the tickets no other team is named for.")
                messages.success(request, text % {"team": team.name})
            else:
                messages.success(request, _("The agency has no intake team now."))
            return redirect("team_list", code=agency.code)
    return render(
        request,
        "agencies/team_list.html",
        {"agency": agency, "teams": teams, "intake_form": form if may_configure else None},
    )


@login_required
def team_create(request, code: str):
    agency = selectors.agency_get_for_manager(request.membership, code, Right.MANAGE_TEAMS)
    form = TeamForm(request.POST or None, staff=selectors.staff_of_agency(agency), editing=False)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(agency=agency, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The team %(name)s is created.") % {"name": team.name})
            return redirect("team_list", code=agency.code)
    return render(request, "agencies/team_form.html", {"agency": agency, "form": form})


@login_required
def team_edit(request, code: str, team_id: int):
    agency = selectors.agency_get_for_manager(request.membership, code, Right.MANAGE_TEAMS)
    team = selectors.team_get_in_agency(agency, team_id)
    initial = {
        "name": team.name,
        "description": team.description,
        "assignment": team.assignment,
        "members": list(team.members.all()),
        "lead": team.lead_id,
        "is_active": team.is_active,
    }
    form = TeamForm(
        request.POST or None, initial=initial, staff=selectors.staff_of_agency(agency), editing=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(team=team, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The team %(name)s is saved.") % {"name": team.name})
            return redirect("team_list", code=agency.code)
    return render(
        request, "agencies/team_form.html", {"agency": agency, "form": form, "team": team}
    )


@login_required
def member_list(request, code: str):
    agency = selectors.agency_get_for_manager(request.membership, code, Right.MANAGE_MEMBERS)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership, user_created = member_add(
                agency=agency, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            text = _("%(email)s is now %(role)s of %(agency)s.") % {
                "email": membership.user.email,
                "role": membership.get_role_display(),
                "agency": agency.code,
            }
            if user_created:
                text += " " + _(
                    "They have no password yet: they set one with “Forgot your password?”."
                )
            messages.success(request, text)
            return redirect("member_list", code=agency.code)
    members = members_of_agency(agency)
    return render(
        request,
        "agencies/member_list.html",
        {"agency": agency, "members": members, "form": form, "role_form": MemberRoleForm()},
    )


@login_required
@require_POST
def member_change(request, code: str, membership_id: int):
    agency = selectors.agency_get_for_manager(request.membership, code, Right.MANAGE_MEMBERS)
    membership = selectors.membership_get_in_agency(agency, membership_id)
    try:
        if request.POST.get("action") == "remove":
            member_remove(membership=membership, actor=request.user)
            messages.success(request, _("%(email)s is removed.") % {"email": membership.user.email})
        else:
            form = MemberRoleForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose requester, agent or agency admin."))
            else:
                membership = member_change_role(
                    membership=membership, role=form.cleaned_data["role"], actor=request.user
                )
                messages.success(
                    request,
                    _("%(email)s is now %(role)s.")
                    % {"email": membership.user.email, "role": membership.get_role_display()},
                )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("member_list", code=agency.code)
