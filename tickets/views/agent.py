"""The agent workspace: the queue, its bulk actions, logging a call, and the agent panel's
actions on a ticket. Every ticket is found through the selectors; every change goes through
one service; a ticket the person may not change answers 404, like one that does not exist."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.permissions import Right, membership_has_right
from accounts.selectors import memberships_usable_by
from core.forms import form_add_service_error
from core.http import safe_next_url
from tickets import category_selectors, filters, presence, selectors, services
from tickets.agent_forms import (
    ME,
    NOBODY,
    BulkActionForm,
    LinkForm,
    LogCallForm,
    MergeForm,
    TakeForm,
    TicketUpdateForm,
    TransferForm,
)
from tickets.models import Ticket

_NOT_AN_AGENT = object()


def _require_queue(request) -> None:
    if not membership_has_right(request.membership, Right.WORK_QUEUE):
        raise PermissionDenied


def _ticket_worked_by(request, reference: str) -> Ticket:
    """The ticket if this person may change it. A sending agency still reads a ticket it
    transferred away, but may no longer change it: 404, as for one it never saw."""
    ticket = selectors.ticket_get_for_user(request.user, request.membership, reference)
    if not selectors.user_works_ticket(request.membership, ticket):
        raise Http404
    return ticket


def _other_ticket(request, form, field: str) -> Ticket | None:
    """The ticket named in `field`, through the same door; a form error if it is not there."""
    try:
        return selectors.ticket_get_for_user(
            request.user, request.membership, form.cleaned_data[field]
        )
    except Http404:
        form.add_error(field, _("No ticket with that reference"))
        return None


def _message_form_errors(request, form) -> None:
    """After a redirect the form is gone: say what was wrong in a message instead."""
    for name, errors in form.errors.items():
        field = form.fields.get(name) if name != NON_FIELD_ERRORS else None
        for error in errors:
            label = field.label if field is not None and field.label else ""
            messages.error(request, f"{label}: {error}" if label else error)


def _to_ticket(ticket: Ticket):
    return redirect("ticket_detail", ticket.reference)


def _is_partial(request) -> bool:
    """A request from the workspace script (htmx's header) that swaps one region in place."""
    return bool(request.htmx)


# -- The queue -------------------------------------------------------------------------------


@login_required
def queue(request):
    _require_queue(request)
    lists = filters.queue_lists(request.membership, request.GET.get("agency", ""))
    form = filters.QueueFilterForm(request.GET, lists=lists)
    values = form.values()
    # "My teams" and "my agency" mean nothing to someone on no team or in no agency, such as
    # a platform admin: the teams were read for the filter anyway, saying which are theirs.
    offered = [
        (value, label)
        for value, label in filters.QueueView.choices
        if value != filters.QueueView.UNASSIGNED or lists.has_own_team
    ]
    if request.membership.agency_id is None:
        offered = [
            (value, _("All open") if value == filters.QueueView.ALL else label)
            for value, label in offered
            if value != filters.QueueView.TRANSFERRED or lists.agency is not None
        ]
    if values["view"] not in dict(offered):
        values["view"] = filters.QueueView.default
    # One moment for the whole page: the "Due within 1 hour" filter and every row's "Due".
    now = timezone.now()
    tickets = filters.queue_tickets(
        user=request.user,
        membership=request.membership,
        agency=lists.agency,
        filters=values,
        now=now,
    )
    counts = filters.queue_view_counts(
        user=request.user,
        membership=request.membership,
        agency=lists.agency,
        views=[value for value, _label in offered],
        now=now,
    )
    paginator = filters.QueuePaginator(
        tickets,
        filters.PAGE_SIZE,
        rows=partial(filters.queue_page_rows, filters=values, membership=request.membership),
    )
    count, capped = counts[values["view"]]
    if not capped and not form.is_filtered:
        paginator.count = count  # the tab's count is the list's: no second count
    page = paginator.get_page(request.GET.get("page"))
    views = [
        {
            "value": value,
            "label": label,
            "current": value == values["view"],
            "count": counts[value][0],
            "capped": counts[value][1],
        }
        for value, label in offered
    ]
    return render(
        request,
        "tickets/_queue_main.html" if _is_partial(request) else "tickets/queue.html",
        {
            "filter_form": form,
            "bulk_form": BulkActionForm(agents=lists.agents),
            "page_obj": page,
            "views": views,
            "current_view": next(v for v in views if v["current"]),
            "agency": lists.agency,
            "sla_now": now,
        },
    )


def _bulk_assignee(request, value: str, tickets: list[Ticket]):
    """The person the tickets go to: an agent of every agency handling them."""
    if value == ME:
        return request.user
    if value == NOBODY:
        return None
    assignee = None
    for agency_id in {t.agency_id for t in tickets}:
        assignee = selectors.agents_of_agency(agency_id).filter(pk=int(value)).first()
        if assignee is None:
            return _NOT_AN_AGENT
    return assignee


@login_required
@require_POST
def queue_bulk(request):
    _require_queue(request)
    back = safe_next_url(request, default="queue")
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        _message_form_errors(request, form)
        return redirect(back)
    ids = form.cleaned_data["tickets"]
    tickets = list(
        selectors.tickets_visible_to(request.user, request.membership).filter(pk__in=ids)
    )
    if len(tickets) != len(ids) or not all(
        selectors.user_works_ticket(request.membership, t) for t in tickets
    ):
        # Which ones is not said: that would tell whether a ticket exists elsewhere.
        messages.error(
            request,
            _(
                "Some tickets could not be found. Nothing was changed: reload the queue and "
                "try again."
            ),
        )
        return redirect(back)
    action = form.cleaned_data["action"]
    status, assignee = None, False
    if action == BulkActionForm.CLOSE:
        status = Ticket.Status.CLOSED
    elif action == BulkActionForm.STATUS:
        status = form.cleaned_data["status"]
    else:
        assignee = _bulk_assignee(request, form.cleaned_data["assignee"], tickets)
        if assignee is _NOT_AN_AGENT:
            messages.error(
                request,
                _("Choose an agent of the agency that handles the tickets. Nothing was changed."),
            )
            return redirect(back)
    try:
        count = services.tickets_bulk_update(
            tickets=tickets, actor=request.user, status=status, assignee=assignee
        )
    except ValidationError as error:
        messages.error(
            request,
            _("Nothing was changed: %(reason)s") % {"reason": " ".join(error.messages)},
        )
    else:
        messages.success(
            request,
            ngettext("%(count)d ticket is updated.", "%(count)d tickets are updated.", count)
            % {"count": count},
        )
    return redirect(back)


@login_required
def log_call(request):
    _require_queue(request)
    form = LogCallForm(
        request.POST or None,
        categories=list(category_selectors.categories_to_log_calls_under(request.membership)),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        requester = data["requester_email"]
        membership = memberships_usable_by(requester).first()
        try:
            ticket = services.ticket_create(
                requester=requester,
                requester_agency=membership.agency if membership else None,
                category=data["category"],
                subject=data["subject"],
                description=data["description"],
                impact=data["impact"],
                urgency=data["urgency"],
                channel=Ticket.Channel.PHONE,
                logged_by=request.user,
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(reference)s is logged for %(email)s.")
                % {"reference": ticket.reference, "email": requester.email},
            )
            visible = selectors.tickets_visible_to(request.user, request.membership)
            if visible.filter(pk=ticket.pk).exists():
                return _to_ticket(ticket)
            # Routed to an agency this person cannot see into: the caller's own, say.
            messages.info(
                request,
                _("%(agency)s handles it, so it does not appear in your queue.")
                % {"agency": ticket.agency.name},
            )
            return redirect("queue")
    return render(request, "tickets/log_call.html", {"form": form})


# -- The agent panel on the ticket page ------------------------------------------------------


def agent_panel_context(request, ticket: Ticket) -> dict:
    """Everything templates/tickets/_agent_panel.html needs; five queries whatever the ticket.

    Those who do not work the ticket get an empty panel.
    """
    membership = getattr(request, "membership", None)
    if not selectors.user_works_ticket(membership, ticket):
        return {"ticket": ticket, "panel_hidden": True}
    lists = filters.agent_panel_lists(ticket)
    return {
        "ticket": ticket,
        "request": request,
        "user": request.user,
        "current_membership": membership,
        "works_ticket": True,
        "agent_panel_ready": True,
        "can_take": ticket.is_open
        and ticket.assignee_id != request.user.pk
        and any(agent.pk == request.user.pk for agent in lists.agents),
        # Taking it from a colleague asks first (ticket_take).
        "take_asks": ticket.assignee_id is not None,
        "requester_tickets": filters.requester_other_open_tickets(
            user=request.user, membership=membership, ticket=ticket
        ),
        "update_form": TicketUpdateForm(
            initial=TicketUpdateForm.initial_for(ticket),
            teams=lists.teams,
            agents=lists.agents,
            categories=lists.categories,
        ),
        "transfer_form": TransferForm(agencies=lists.agencies),
        "merge_form": MergeForm(),
        "link_form": LinkForm(),
    }


@login_required
@require_POST
def ticket_update(request, reference: str):
    ticket = _ticket_worked_by(request, reference)
    lists = filters.agent_panel_lists(ticket, agencies=False)
    form = TicketUpdateForm(
        request.POST, teams=lists.teams, agents=lists.agents, categories=lists.categories
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.ticket_update(
                ticket=ticket,
                actor=request.user,
                expected_version=data["version"],
                status=data["status"],
                impact=data["impact"],
                urgency=data["urgency"],
                team=data["team"],
                assignee=data["assignee"],
                category=data["category"],
            )
        except ValidationError as error:
            if getattr(error, "code", None) == services.INCIDENT_CHILDREN_OPEN:
                # Offered the incident's own resolution, with its tickets, confirmed there.
                messages.info(request, error.messages[0])
                return redirect("incidents:resolve", incident=reference)
            form_add_service_error(form, error)
        else:
            messages.success(request, _("%(reference)s is saved.") % {"reference": reference})
            return _to_ticket(ticket)
    _message_form_errors(request, form)
    return _to_ticket(ticket)


@login_required
def ticket_take(request, reference: str):
    """ "Assign to me". Taking a ticket a colleague holds asks first, on a page of its own
    that needs no JavaScript; the version shown there makes a change since then refuse."""
    ticket = _ticket_worked_by(request, reference)
    holder = ticket.assignee if ticket.assignee_id != request.user.pk else None
    form = TakeForm(request.POST or None)
    if request.method == "POST" and (holder is None or form.is_valid()):
        version = form.cleaned_data["version"] if holder is not None else None
        try:
            services.ticket_assign(
                ticket=ticket, assignee=request.user, actor=request.user, expected_version=version
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(reference)s is assigned to you.") % {"reference": ticket.reference}
            )
        return _to_ticket(ticket)
    # Asked for by a link (or the form without its version): the question, on its own page.
    return render(
        request,
        "tickets/take_confirm.html",
        {"ticket": ticket, "holder": holder, "version": ticket.version},
    )


@login_required
def ticket_presence(request, reference: str):
    """Who else has the ticket open. The page's script posts `viewing` or `replying` every
    20 seconds and swaps in the answer; a GET only reads."""
    ticket = _ticket_worked_by(request, reference)
    if request.method == "POST":
        state = request.POST.get("state", presence.VIEWING)
        if state not in presence.STATES:
            return HttpResponseBadRequest(_("Say viewing or replying."))
        presence.presence_record(ticket=ticket, user=request.user, state=state)
    return render(
        request,
        "tickets/_presence.html",
        {"ticket": ticket, "others": presence.presence_of_others(ticket=ticket, user=request.user)},
    )


@login_required
@require_POST
def ticket_transfer(request, reference: str):
    ticket = _ticket_worked_by(request, reference)
    form = TransferForm(request.POST, agencies=filters.transfer_agencies(ticket))
    if form.is_valid():
        to_agency = form.cleaned_data["to_agency"]
        try:
            services.ticket_transfer(
                ticket=ticket,
                to_agency=to_agency,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(reference)s is transferred to %(agency)s. You can still read it here.")
                % {"reference": ticket.reference, "agency": to_agency.name},
            )
            return _to_ticket(ticket)
    _message_form_errors(request, form)
    return _to_ticket(ticket)


@login_required
@require_POST
def ticket_merge(request, reference: str):
    ticket = _ticket_worked_by(request, reference)
    form = MergeForm(request.POST)
    if form.is_valid() and (target := _other_ticket(request, form, "target")):
        try:
            services.ticket_merge(duplicate=ticket, target=target, actor=request.user)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(duplicate)s is closed as a duplicate of %(target)s.")
                % {"duplicate": ticket.reference, "target": target.reference},
            )
            return _to_ticket(target)
    _message_form_errors(request, form)
    return _to_ticket(ticket)


@login_required
@require_POST
def ticket_link(request, reference: str):
    ticket = _ticket_worked_by(request, reference)
    form = LinkForm(request.POST)
    if form.is_valid() and (other := _other_ticket(request, form, "other")):
        try:
            services.ticket_link(ticket=ticket, other=other, actor=request.user)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(reference)s and %(other)s are linked.")
                % {"reference": ticket.reference, "other": other.reference},
            )
    _message_form_errors(request, form)
    return _to_ticket(ticket)
