"""The agent's tools: saved views, the library of canned responses and macros, and using
them on a ticket. Everything is found through the selectors (404 outside the door) and
changed through one service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import Right, membership_has_right
from core.forms import form_add_service_error
from tickets import selectors as ticket_selectors
from tickets.models import Ticket
from workspace import selectors, services
from workspace.forms import (
    ApplyMacroForm,
    CannedResponseForm,
    MacroForm,
    SavedViewForm,
    UseResponseForm,
)
from workspace.models import CannedResponse, Macro, Scope

LIBRARY_PAGE_SIZE = 200


def _require_queue(request) -> None:
    if not selectors.works_queue(request.membership):
        raise PermissionDenied


def _ticket_worked_by(request, reference: str) -> Ticket:
    ticket = ticket_selectors.ticket_get_for_user(request.user, request.membership, reference)
    if not ticket_selectors.user_works_ticket(request.membership, ticket):
        raise Http404
    return ticket


def _to_ticket(ticket: Ticket, anchor: str = ""):
    return redirect(reverse("ticket_detail", args=[ticket.reference]) + anchor)


def _wants_text(request) -> bool:
    """A script's request (htmx or our own fetch) gets the text itself, not a page."""
    return (
        bool(getattr(request, "htmx", False)) or request.headers.get("X-Requested-With") == "fetch"
    )


# -- Saved views ----------------------------------------------------------------------------


def _saved_view_form(request, data=None) -> SavedViewForm:
    membership = request.membership
    return SavedViewForm(
        data,
        teams=selectors.teams_to_share_with(membership),
        may_share_agency=membership.agency_id is not None
        and membership_has_right(membership, Right.SHARE_VIEWS, membership.agency_id),
        initial={"query": request.GET.urlencode()} if data is None else None,
    )


@login_required
def saved_view_list(request):
    """The person's saved views and those shared with them; saving one posts here."""
    _require_queue(request)
    form = _saved_view_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            view = services.saved_view_create(
                owner=request.user,
                membership=request.membership,
                name=data["name"],
                query=data["query"],
                scope=data["scope"],
                team=data["team"],
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The view “%(name)s” is saved.") % {"name": view.name})
            return redirect((reverse("queue") + "?" + view.query) if view.query else "queue")
    views = list(selectors.saved_views_for(request.user, request.membership))
    for view in views:
        view.may_delete = selectors.saved_view_may_delete(request.user, request.membership, view)
    status = 400 if form.is_bound else 200
    return render(
        request, "workspace/saved_views.html", {"form": form, "views": views}, status=status
    )


@login_required
@require_POST
def saved_view_delete(request, view_id: int):
    view = selectors.saved_view_get_for_user(request.user, request.membership, view_id)
    try:
        services.saved_view_delete(view=view, actor=request.user, membership=request.membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The view “%(name)s” is deleted.") % {"name": view.name})
    return redirect("workspace:saved_views")


# -- The library ----------------------------------------------------------------------------


@login_required
def response_list(request):
    _require_queue(request)
    q = request.GET.get("q", "")[:200]
    language = request.GET.get("lang", "")
    responses = list(
        selectors.responses_for(request.user, request.membership, q=q, language=language)[
            :LIBRARY_PAGE_SIZE
        ]
    )
    for response in responses:
        response.may_edit = selectors.library_may_edit(request.membership, response)
    macros = list(selectors.macros_for(request.user, request.membership)[:LIBRARY_PAGE_SIZE])
    for macro in macros:
        macro.may_edit = selectors.library_may_edit(request.membership, macro)
    return render(
        request,
        "workspace/library.html",
        {
            "responses": responses,
            "macros": macros,
            "q": q,
            "language": language if language in ("en", "fr") else "",
        },
    )


def _response_form(request, response: CannedResponse | None, data=None):
    initial = None
    if response is not None:
        initial = {
            "title": response.title,
            "scope": response.scope,
            "body_en": response.body_en,
            "body_fr": response.body_fr,
        }
    scopes = selectors.library_scopes_for(request.membership)
    if response is not None and response.scope not in scopes:
        scopes = [response.scope, *scopes]
    return CannedResponseForm(data, scopes=scopes, initial=initial or {"scope": Scope.PERSONAL})


def _library_item_editable(request, item) -> None:
    if not selectors.library_may_edit(request.membership, item):
        # Seen but not kept by this person: they may use it, not change it.
        raise PermissionDenied


@login_required
def response_edit(request, response_id: int | None = None):
    # With an id the door answers 404 to those outside it, as for any object.
    response = None
    if response_id is None:
        _require_queue(request)
    else:
        response = selectors.response_get_for_user(request.user, request.membership, response_id)
        _library_item_editable(request, response)
    posted = request.method == "POST"
    form = _response_form(request, response, request.POST if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.canned_response_save(
                membership=request.membership,
                response=response,
                scope=data["scope"],
                title=data["title"],
                body_en=data["body_en"],
                body_fr=data["body_fr"],
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request, _("The response “%(title)s” is saved.") % {"title": saved.title}
            )
            return redirect("workspace:library")
    return render(
        request,
        "workspace/response_form.html",
        {"form": form, "response": response},
        status=400 if form.is_bound else 200,
    )


def _macro_form(request, macro: Macro | None, data=None):
    membership = request.membership
    initial = {"scope": Scope.PERSONAL}
    if macro is not None:
        initial = {
            "name": macro.name,
            "scope": macro.scope,
            "response": str(macro.response_id or ""),
            "status": macro.status,
            "impact": macro.impact,
            "urgency": macro.urgency,
            "team": str(macro.team_id or ""),
        }
    scopes = selectors.library_scopes_for(membership)
    if macro is not None and macro.scope not in scopes:
        scopes = [macro.scope, *scopes]
    teams = selectors.teams_of_agency(membership.agency_id)
    return MacroForm(
        data,
        scopes=scopes,
        responses=list(selectors.responses_for(request.user, membership)[:LIBRARY_PAGE_SIZE]),
        teams=teams,
        initial=initial,
    )


@login_required
def macro_edit(request, macro_id: int | None = None):
    macro = None
    if macro_id is None:
        _require_queue(request)
    else:
        macro = selectors.macro_get_for_user(request.user, request.membership, macro_id)
        _library_item_editable(request, macro)
    posted = request.method == "POST"
    form = _macro_form(request, macro, request.POST if posted else None)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.macro_save(
                membership=request.membership,
                macro=macro,
                scope=data["scope"],
                name=data["name"],
                response=data["response"],
                status=data["status"],
                impact=data["impact"],
                urgency=data["urgency"],
                team=data["team"],
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("The macro “%(name)s” is saved.") % {"name": saved.name})
            return redirect("workspace:library")
    return render(
        request,
        "workspace/macro_form.html",
        {"form": form, "macro": macro},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def library_item_delete(
    request, kind: str, response_id: int | None = None, macro_id: int | None = None
):
    if kind == "response":
        item = selectors.response_get_for_user(request.user, request.membership, response_id)
    else:
        item = selectors.macro_get_for_user(request.user, request.membership, macro_id)
    _library_item_editable(request, item)
    try:
        services.library_item_delete(item=item, membership=request.membership)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(name)s” is deleted.") % {"name": str(item)})
    return redirect("workspace:library")


# -- On a ticket ----------------------------------------------------------------------------


@login_required
@require_POST
def response_insert(request, reference: str):
    """The response's text for the reply box: to a script as JSON, otherwise kept in the
    session as the reply's draft and shown on the ticket page."""
    ticket = _ticket_worked_by(request, reference)
    form = UseResponseForm(request.POST)
    if not form.is_valid():
        if _wants_text(request):
            return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
        messages.error(request, _("Choose a response to insert."))
        return _to_ticket(ticket)
    response = selectors.response_get_for_user(
        request.user, request.membership, form.cleaned_data["response"], ticket=ticket
    )
    text = services.canned_response_use(response=response, ticket=ticket, agent=request.user)
    if _wants_text(request):
        return JsonResponse({"text": text, "title": response.title})
    key = f"reply_draft:{ticket.reference}"
    draft = request.session.get(key, "")
    request.session[key] = f"{draft.rstrip()}\n\n{text}" if draft.strip() else text
    messages.info(
        request,
        _("“%(title)s” is in your reply below: check it and send it.") % {"title": response.title},
    )
    return _to_ticket(ticket)


@login_required
@require_POST
def macro_apply(request, reference: str):
    ticket = _ticket_worked_by(request, reference)
    form = ApplyMacroForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a macro to apply."))
        return _to_ticket(ticket)
    macro = selectors.macro_get_for_user(
        request.user, request.membership, form.cleaned_data["macro"], ticket=ticket
    )
    try:
        services.macro_apply(
            macro=macro,
            ticket=ticket,
            actor=request.user,
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as error:
        messages.error(
            request,
            _("The macro “%(name)s” was not applied: %(reason)s")
            % {"name": macro.name, "reason": " ".join(error.messages)},
        )
    else:
        messages.success(
            request,
            _("The macro “%(name)s” is applied to %(reference)s.")
            % {"name": macro.name, "reference": ticket.reference},
        )
    return _to_ticket(ticket)
