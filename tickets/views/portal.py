"""The requester portal and the ticket page: report a problem, follow it, talk about it."""

from csp.constants import NONE
from csp.decorators import csp
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.file_serving import stored_file_response
from core.forms import form_add_service_error
from tickets import attachments, category_selectors, selectors, services
from tickets.forms import ReopenForm, ReplyForm, TicketNewForm, WatcherForm
from tickets.models import Attachment, Category, Ticket, TicketEvent

MY_TICKETS_PER_PAGE = 25


# -- Pure reads of one ticket the person may already see --------------------------------------


def _get_ticket(request, reference: str) -> Ticket:
    return selectors.ticket_get_for_user(request.user, request.membership, reference)


# Steps of the agency's own work: staff see them, the people it works for do not. A transfer
# puts the ticket back to New, and the transfer's own entry already says what happened.
# (Containment, not a key comparison: a missing key would make NOT (...) unknown, and hide
# every other status change.)
_NOT_FOR_REQUESTERS = Q(
    kind__in=[
        TicketEvent.Kind.ASSIGNEE,
        TicketEvent.Kind.TEAM,
        TicketEvent.Kind.SLA,
        TicketEvent.Kind.ESCALATION,
    ]
) | Q(kind=TicketEvent.Kind.STATUS, data__contains={"reason": "transferred"})


def _timeline(ticket: Ticket, *, internal: bool) -> QuerySet[TicketEvent]:
    """The ticket's history with who did what and the files of each entry: two queries."""
    events = ticket.events.select_related("actor").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "pk"))
    )
    return events if internal else events.filter(is_public=True).exclude(_NOT_FOR_REQUESTERS)


def _own_and_watched(request) -> QuerySet[Ticket]:
    """The person's own tickets and those they follow, not their agency's queue."""
    return selectors.tickets_followed_by(request.user)


def _is_requester(request, ticket: Ticket) -> bool:
    return ticket.requester_id == request.user.pk


def _acting_agency(request):
    membership = request.membership
    return membership.agency if membership is not None else None


# -- Reporting ------------------------------------------------------------------------------


@login_required
def ticket_new(request):
    if request.method == "GET" and request.GET.get("created"):
        return _ticket_created(request, request.GET["created"])
    agency = _acting_agency(request)
    categories = list(category_selectors.categories_to_report_under(request.membership))
    posted = request.method == "POST"
    form = TicketNewForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        categories=categories,
        initial=_initial_for(categories, request.GET.get("category")) | _carried_over(request),
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = attachments.ticket_create_with_attachments(
                requester=request.user,
                requester_agency=agency,
                category=data["category"],
                subject=data["subject"],
                description=data["description"],
                impact=data["impact"],
                urgency=data["urgency"],
                files=data["attachments"],
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            # Through the form's own address, so that reloading the confirmation reports
            # nothing twice and needs no address of its own.
            return redirect(reverse("ticket_new") + "?" + urlencode({"created": ticket.reference}))
    files_dropped = form.is_bound and bool(request.FILES) and not form.is_valid()
    return render(
        request,
        "tickets/new.html",
        {
            "form": form,
            "has_categories": bool(categories),
            "files_dropped": files_dropped,
        },
    )


def _initial_for(categories: list[Category], slug: str | None) -> dict:
    """With ?category=<slug>, that service chosen and its usual impact and urgency."""
    category = next((c for c in categories if slug and c.slug == slug), None)
    if category is None:
        return {}
    return {
        "category": str(category.pk),
        "impact": category.default_impact,
        "urgency": category.default_urgency,
    }


def _carried_over(request) -> dict:
    """What the person typed before a "check help first" step, carried back to the form."""
    return {
        key: request.GET[key][:limit]
        for key, limit in (("subject", 200), ("description", 4000))
        if request.GET.get(key)
    }


def _ticket_created(request, reference: str):
    # The worker attaches a report to the open major incident it matches a moment after the
    # commit: the page (incidents' `incident_for_new_report`) finds that incident itself.
    ticket = _get_ticket(request, reference)
    return render(request, "tickets/created.html", {"ticket": ticket})


# -- Following ------------------------------------------------------------------------------


@login_required
def my_tickets(request):
    tickets = _own_and_watched(request).order_by("-updated_at", "-pk")
    page = Paginator(tickets, MY_TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "tickets/my_tickets.html", {"page": page, "tickets": page.object_list})


@login_required
def ticket_detail(request, reference: str):
    ticket = _get_ticket(request, reference)
    # A canned response chosen without JavaScript waits in the session, for the reply box.
    draft = request.session.pop(f"reply_draft:{ticket.reference}", None)
    return _render_detail(request, ticket, reply_initial={"body": draft} if draft else None)


def _render_detail(request, ticket: Ticket, **forms):
    membership = request.membership
    works_ticket = selectors.user_works_ticket(membership, ticket)
    sees_internal = works_ticket or selectors.user_sees_internal(membership, ticket)
    is_requester = _is_requester(request, ticket)
    events = list(_timeline(ticket, internal=sees_internal))
    merged_into = next(
        (e.data["into"] for e in reversed(events) if e.kind == e.Kind.MERGE and "into" in e.data),
        None,
    )
    watchers = list(ticket.watchers.order_by("full_name", "email"))
    if ticket.is_major_incident and not works_ticket:
        watchers = []  # everyone affected follows it: nobody else's business who they are
    context = {
        "ticket": ticket,
        "events": events,
        "watchers": watchers,
        "merged_into": merged_into,
        "works_ticket": works_ticket,
        "sees_internal": sees_internal,
        "is_requester": is_requester,
        "may_reply": selectors.user_may_reply(request.user, membership, ticket, watchers=watchers),
        "can_add_watcher": is_requester or works_ticket,
        "reply_form": forms.get("reply_form")
        or ReplyForm(allow_internal=works_ticket, initial=forms.get("reply_initial")),
        "watch_form": forms.get("watch_form") or WatcherForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
    }
    return render(request, "tickets/detail.html", context)


# -- Acting on a ticket ---------------------------------------------------------------------


def _back_to(ticket: Ticket):
    return redirect("ticket_detail", reference=ticket.reference)


@login_required
@require_POST
def ticket_reply(request, reference: str):
    ticket = _get_ticket(request, reference)
    works_ticket = selectors.user_works_ticket(request.membership, ticket)
    if not selectors.user_may_reply(request.user, request.membership, ticket):
        raise PermissionDenied
    form = ReplyForm(request.POST, request.FILES, allow_internal=works_ticket)
    if form.is_valid():
        internal = works_ticket and form.cleaned_data.get("internal", False)
        try:
            attachments.ticket_reply_with_attachments(
                ticket=ticket,
                author=request.user,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
                internal=internal,
                as_agent=works_ticket,
                minutes=form.cleaned_data.get("minutes"),
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request, _("Your internal note is saved.") if internal else _("Your reply is sent.")
            )
            return _back_to(ticket)
    return _render_detail(request, ticket, reply_form=form)


@login_required
@require_POST
def ticket_close(request, reference: str):
    ticket = _get_ticket(request, reference)
    if not _is_requester(request, ticket):
        # Agents close through their own panel, which records the resolution properly.
        raise PermissionDenied
    try:
        services.ticket_close_by_requester(ticket=ticket, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(reference)s is closed.") % {"reference": ticket.reference})
    return _back_to(ticket)


@login_required
@require_POST
def ticket_reopen(request, reference: str):
    ticket = _get_ticket(request, reference)
    if not _is_requester(request, ticket):
        raise PermissionDenied
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.ticket_reopen(
                ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("%(reference)s is open again.") % {"reference": ticket.reference}
            )
        return _back_to(ticket)
    return _render_detail(request, ticket, reopen_form=form)


@login_required
@require_POST
def ticket_watch(request, reference: str):
    ticket = _get_ticket(request, reference)
    if not (
        _is_requester(request, ticket) or selectors.user_works_ticket(request.membership, ticket)
    ):
        raise PermissionDenied
    form = WatcherForm(request.POST)
    if form.is_valid():
        try:
            watcher = services.ticket_watcher_add(
                ticket=ticket, email=form.cleaned_data["email"], actor=request.user
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(name)s now follows %(reference)s.")
                % {"name": watcher.get_full_name(), "reference": ticket.reference},
            )
            return _back_to(ticket)
    return _render_detail(request, ticket, watch_form=form)


# -- Files ----------------------------------------------------------------------------------


# No policy of the site's own: a file opened in the browser after all runs nothing and loads
# nothing, whatever it holds.
@csp({"default-src": [NONE], "sandbox": True})
@login_required
def attachment_download(request, reference: str, token: str):
    ticket = _get_ticket(request, reference)
    attachment = (
        Attachment.objects.select_related("event").filter(ticket=ticket, token=token).first()
    )
    if attachment is None:
        raise Http404
    if not attachment.event.is_public and not selectors.user_sees_internal(
        request.membership, ticket
    ):
        raise Http404
    content_type = attachment.content_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    response = stored_file_response(
        attachment.file, filename=attachment.name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
