"""Pages of major incidents: the owner agency's list and actions, "I am affected too", the
government services kept by platform admins, and the public status page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.forms import form_add_service_error
from incidents import selectors, services
from incidents.forms import (
    AttachForm,
    ConfirmForm,
    DeclareForm,
    GovServiceForm,
    ResolveForm,
    ServiceStateForm,
)
from incidents.models import GovService
from tickets.models import Ticket
from tickets.selectors import ticket_get_for_user

# Long enough to spare the server when thousands reload during an outage, short enough that
# an update shows within a minute.
STATUS_MAX_AGE = 60


def _require_incident_staff(request) -> None:
    if not selectors.may_run_incidents(request.membership):
        raise PermissionDenied


def _errors(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _to_ticket(ticket: Ticket):
    return redirect("ticket_detail", reference=ticket.reference)


# -- The owner agency -------------------------------------------------------------------------


@login_required
def incident_list(request):
    _require_incident_staff(request)
    context = {
        "proposals": list(selectors.proposals_for(request.membership)),
        "incidents": list(selectors.incidents_run_by(request.membership)),
        "confirm_form": ConfirmForm(),
    }
    return render(request, "incidents/incident_list.html", context)


@login_required
def incident_declare(request):
    _require_incident_staff(request)
    form = DeclareForm(
        request.POST if request.method == "POST" else None,
        categories=selectors.declarable_categories(request.membership),
    )
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_declare(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Major incident %(reference)s is declared.") % {"reference": incident.reference},
            )
            return _to_ticket(incident)
    return render(request, "incidents/declare.html", {"form": form})


@login_required
@require_POST
def proposal_confirm(request, proposal_id: int):
    proposal = selectors.proposal_get_for_user(request.membership, proposal_id)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("incidents:list")
    try:
        incident = services.proposal_confirm(
            proposal=proposal, actor=request.user, subject=form.cleaned_data["subject"]
        )
    except ValidationError as error:
        _errors(request, error)
        return redirect("incidents:list")
    messages.success(
        request,
        _("Major incident %(reference)s is open and its tickets are attached.")
        % {"reference": incident.reference},
    )
    return _to_ticket(incident)


@login_required
@require_POST
def proposal_dismiss(request, proposal_id: int):
    proposal = selectors.proposal_get_for_user(request.membership, proposal_id)
    try:
        services.proposal_dismiss(proposal=proposal, actor=request.user)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("The proposal is dismissed; its tickets stay as they are."))
    return redirect("incidents:list")


def _staff_incident(request, incident: str) -> Ticket:
    return selectors.incident_get_for_staff(request.user, request.membership, incident)


@login_required
@require_POST
def incident_attach(request, incident: str):
    incident = _staff_incident(request, incident)
    form = AttachForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return _to_ticket(incident)
    try:
        ticket = ticket_get_for_user(
            request.user, request.membership, form.cleaned_data["reference"]
        )
    except Http404:
        messages.error(
            request,
            _("No ticket %(reference)s that you can see.")
            % {"reference": form.cleaned_data["reference"].upper()},
        )
        return _to_ticket(incident)
    try:
        services.incident_attach(incident=incident, ticket=ticket, actor=request.user)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request,
            _("%(ticket)s is now part of %(incident)s.")
            % {"ticket": ticket.reference, "incident": incident.reference},
        )
    return _to_ticket(incident)


@login_required
@require_POST
def incident_article(request, incident: str):
    """The help article the incident's banner and the status page link to."""
    incident = _staff_incident(request, incident)
    try:
        link = services.incident_article_set(
            incident=incident, slug=request.POST.get("article", "")[:80], actor=request.user
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request,
            _("The incident now links to a help article.")
            if link
            else _("The incident links to no help article."),
        )
    return _to_ticket(incident)


@login_required
@require_POST
def incident_detach(request, incident: str):
    incident = _staff_incident(request, incident)
    form = AttachForm(request.POST)
    child = None
    if form.is_valid():
        child = incident.children.filter(reference=form.cleaned_data["reference"].upper()).first()
    if child is None:
        messages.error(request, _("That ticket is not part of this incident."))
        return _to_ticket(incident)
    try:
        services.incident_detach(incident=incident, ticket=child, actor=request.user)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request,
            _("%(ticket)s is no longer part of %(incident)s.")
            % {"ticket": child.reference, "incident": incident.reference},
        )
    return _to_ticket(incident)


@login_required
def incident_resolve(request, incident: str):
    """A GET asks first: what resolving the incident does to its open tickets, with the note
    to send (where the ticket's ordinary status control leads). A POST does it."""
    incident = _staff_incident(request, incident)
    if request.method != "POST":
        if not incident.is_open:
            return _to_ticket(incident)
        return render(
            request,
            "incidents/resolve_confirm.html",
            {
                "incident": incident,
                "open_count": incident.children.exclude(status__in=Ticket.CLOSED_STATUSES).count(),
                "form": ResolveForm(),
            },
        )
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what was wrong and what was done."))
        return _to_ticket(incident)
    try:
        count = services.incident_resolve(
            incident=incident, actor=request.user, note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(
            request,
            ngettext(
                "%(reference)s is resolved, with %(count)s of its tickets.",
                "%(reference)s is resolved, with %(count)s of its tickets.",
                count,
            )
            % {"reference": incident.reference, "count": count},
        )
    return _to_ticket(incident)


# -- People who report problems ---------------------------------------------------------------


@login_required
@require_POST
def incident_affected(request, incident: str):
    membership = request.membership
    agency = membership.agency if membership is not None else None
    incident = selectors.incident_get_for_reporter(
        request.user, agency.pk if agency else None, incident
    )
    try:
        services.incident_affected_add(incident=incident, user=request.user, agency=agency)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Thank you: you are counted among the people affected by %(reference)s and "
              "will hear of every update, and when it is fixed.")
            % {"reference": incident.reference},
        )  # fmt: skip
    return redirect("ticket_detail", reference=incident.reference)


# -- Government services (platform admins) ----------------------------------------------------


def _require_gov_service_keeper(request) -> None:
    if not selectors.may_keep_gov_services(request.membership):
        raise PermissionDenied


@login_required
def gov_service_list(request):
    _require_gov_service_keeper(request)
    if request.method == "POST":
        form = ServiceStateForm(request.POST)
        if form.is_valid():
            try:
                service = services.gov_service_set_state(
                    service=form.cleaned_data["service"],
                    state=form.cleaned_data["state"],
                    actor=request.user,
                )
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(
                    request,
                    _("%(name)s is now shown as %(state)s.")
                    % {"name": service.name, "state": service.get_state_display()},
                )
        else:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("incidents:gov_services")
    rows = []
    for service in GovService.objects.prefetch_related("categories").order_by("name"):
        form = ServiceStateForm(
            initial={"service": service.pk, "state": service.state},
            auto_id=f"id_service_{service.pk}_%s",
        )
        # One select per row: its name says which service it is for.
        form.fields["state"].widget.attrs["aria-label"] = _("State of %(name)s") % {
            "name": service.name
        }
        rows.append((service, form))
    return render(request, "incidents/gov_service_list.html", {"rows": rows})


@login_required
def gov_service_create(request):
    _require_gov_service_keeper(request)
    form = GovServiceForm(
        request.POST if request.method == "POST" else None, initial={"is_listed": True}
    )
    if request.method == "POST" and form.is_valid():
        try:
            service = services.gov_service_save(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("%(name)s is added.") % {"name": service.name})
            return redirect("incidents:gov_services")
    return render(request, "incidents/gov_service_form.html", {"form": form})


# -- The public status page -------------------------------------------------------------------


def _cacheable(response: HttpResponse, *, shared: bool) -> HttpResponse:
    # The page carries the visitor's own CSRF token (language switcher) and, signed in, their
    # name: the browser may keep it, shared caches may not. JSON and Atom are the same for all.
    response["Cache-Control"] = f"{'public' if shared else 'private'}, max-age={STATUS_MAX_AGE}"
    return response


@require_GET
def status_page(request):
    page = selectors.status_page()
    response = render(request, "incidents/status.html", {"page": page})
    return _cacheable(response, shared=False)


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


@require_GET
def status_json(request):
    page = selectors.status_page()

    def incident_data(incident: Ticket, *, with_updates: bool) -> dict:
        data = {
            "reference": incident.reference,
            "title": incident.subject,
            "summary": incident.description,
            "owner": incident.agency.code,
            "service": incident.category.name,
            "status": incident.status,
            "started_at": _iso(incident.started_at),
            "resolved_at": _iso(incident.resolved_at),
        }
        if with_updates:
            data["updates"] = [
                {"at": _iso(update.created_at), "text": update.body}
                for update in page.updates[incident.pk]
            ]
        return data

    body = {
        "generated_at": _iso(page.generated_at),
        "services": [
            {"name": row.service.name, "state": row.state, "description": row.service.description}
            for row in page.services
        ],
        "open_incidents": [incident_data(i, with_updates=True) for i in page.open_incidents],
        "recent_incidents": [incident_data(i, with_updates=False) for i in page.recent_incidents],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    return _cacheable(response, shared=True)


@require_GET
def status_feed(request):
    page = selectors.status_page()
    status_url = request.build_absolute_uri(reverse("incidents:status"))
    feed = Atom1Feed(
        title=_("GovDesk: government services status"),
        link=status_url,
        description=_("Major incidents affecting government services."),
        feed_url=request.build_absolute_uri(reverse("incidents:status_feed")),
        language=request.LANGUAGE_CODE,
    )
    for incident in [*page.open_incidents, *page.recent_incidents]:
        lines = [incident.description]
        lines += [update.body for update in page.updates.get(incident.pk, [])]
        state = _("Resolved") if not incident.is_open else _("Open")
        feed.add_item(
            title=f"{incident.subject} ({state})",
            link=f"{status_url}#incident-{incident.reference}",
            unique_id=f"{status_url}#incident-{incident.reference}",
            description="\n\n".join(lines),
            pubdate=incident.created_at,
            updateddate=incident.resolved_at or incident.updated_at,
            author_name=incident.agency.name,
        )
    response = HttpResponse(content_type="application/atom+xml; charset=utf-8")
    feed.write(response, "utf-8")
    return _cacheable(response, shared=True)
