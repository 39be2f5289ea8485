"""Data protection's pages: the access log, a person's data (export, holds, erasure), the
retention period, a person's own export, and the redaction of a message."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Right, data_protection_scope, membership_has_right
from agencies.models import Agency
from privacy import selectors, services
from privacy.forms import (
    AccessLogFilterForm,
    ErasureForm,
    LegalHoldForm,
    PersonFindForm,
    RedactionForm,
    RetentionForm,
)
from privacy.models import DEFAULT_RETENTION_DAYS, RetentionPolicy
from privacy.subject_access import person_export_archive
from tickets.models import TicketEvent
from tickets.selectors import ticket_get_for_user, user_works_ticket

EXPORT_LIMIT = 100_000


def _filter_form(request):
    agency_id = selectors.officer_scope(request.membership)
    agencies = Agency.objects.order_by("code") if agency_id is None else None
    form = AccessLogFilterForm(request.GET or None, agencies=agencies)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, filters


@login_required
def access_log(request):
    form, filters = _filter_form(request)
    entries = selectors.access_log_for_officer(request.membership, filters=filters)
    page = Paginator(entries, selectors.ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/access_log.html",
        {
            "form": form,
            "page_obj": page,
            "find_form": PersonFindForm(),
            "query": request.GET.urlencode(),
        },
    )


@login_required
def access_log_export(request):
    _form, filters = _filter_form(request)
    entries = selectors.access_log_for_officer(request.membership, filters=filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
    writer = csv.writer(response)
    writer.writerow(["at", "reader", "acting_as", "what", "record", "person", "agency", "address"])
    for entry in entries[:EXPORT_LIMIT]:
        writer.writerow(
            [
                entry.at.isoformat(),
                entry.reader.email,
                entry.role,
                entry.kind,
                entry.ticket.reference if entry.ticket_id else entry.target,
                entry.subject.email if entry.subject_id else "",
                entry.agency.code if entry.agency_id else "",
                entry.ip_address or "",
            ]
        )
    return response


@login_required
def person_find(request):
    selectors.officer_scope(request.membership)
    form = PersonFindForm(request.GET or None)
    if form.is_valid():
        person = selectors.person_find_for_officer(request.membership, form.cleaned_data["email"])
        if person is not None:
            return redirect("privacy:person", person_id=person.pk)
        form.add_error("email", _("Nobody with this e-mail address is yours to answer for."))
    return render(request, "privacy/person_find.html", {"form": form})


def _person_page(request, person, **forms):
    context = {
        "person": person,
        "memberships": selectors.memberships_of(person),
        "holds": selectors.holds_of(person),
        "refusal": services.person_erase_refusal(person=person, actor=request.user),
        "erase_form": forms.get("erase_form") or ErasureForm(),
        "hold_form": forms.get("hold_form") or LegalHoldForm(),
    }
    return render(request, "privacy/person.html", context, status=forms.get("status", 200))


@login_required
def person(request, person_id: int):
    person = selectors.person_get_for_officer(request.membership, person_id)
    return _person_page(request, person)


def _zip_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def person_export(request, person_id: int):
    person = selectors.person_get_for_officer(request.membership, person_id)
    return _zip_response(person_export_archive(person), f"person-{person.pk}.zip")


@login_required
def my_data_export(request):
    return _zip_response(person_export_archive(request.user), "my-govdesk-data.zip")


@login_required
@require_POST
def person_erase(request, person_id: int):
    person = selectors.person_get_for_officer(request.membership, person_id)
    form = ErasureForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, erase_form=form, status=400)
    try:
        services.person_erase(person=person, actor=request.user, reason=form.cleaned_data["reason"])
    except services.DataProtectionError as error:
        form.add_error(None, str(error))
        return _person_page(request, person, erase_form=form, status=400)
    messages.success(request, _("The person was erased."))
    return redirect("privacy:person", person_id=person.pk)


@login_required
@require_POST
def person_hold(request, person_id: int):
    person = selectors.person_get_for_officer(request.membership, person_id)
    form = LegalHoldForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, hold_form=form, status=400)
    services.legal_hold_place(actor=request.user, reason=form.cleaned_data["reason"], person=person)
    messages.success(request, _("The hold is in place."))
    return redirect("privacy:person", person_id=person.pk)


@login_required
@require_POST
def hold_release(request, hold_id: int):
    hold = selectors.hold_get_for_officer(request.membership, hold_id)
    services.legal_hold_release(hold=hold, actor=request.user)
    messages.success(request, _("The hold is released."))
    if hold.person_id:
        return redirect("privacy:person", person_id=hold.person_id)
    return redirect("privacy:access_log")


@login_required
def retention(request, code: str):
    agency = get_object_or_404(Agency, code=code.upper())
    membership = request.membership
    allowed, scope = data_protection_scope(membership)
    if not (
        membership_has_right(membership, Right.CONFIGURE_AGENCY, agency)
        or (allowed and scope in (None, agency.pk))
    ):
        raise Http404
    policy = RetentionPolicy.objects.filter(agency=agency).first()
    keep_days = policy.keep_days if policy else DEFAULT_RETENTION_DAYS
    form = RetentionForm(request.POST or None, initial={"keep_days": keep_days})
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_policy_set(
                agency=agency, keep_days=form.cleaned_data["keep_days"], actor=request.user
            )
        except ValidationError as error:
            form.add_error("keep_days", error.messages[0])
        else:
            messages.success(request, _("The retention period is saved."))
            return redirect("privacy:retention", code=agency.code)
    status = 400 if form.errors else 200
    return render(
        request, "privacy/retention.html", {"agency": agency, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def message_redact(request, reference: str, event_id: int):
    """Removing text from a message for good: the message and the form on a page of their
    own, asked first, then the change."""
    ticket = ticket_get_for_user(request.user, request.membership, reference)
    if not user_works_ticket(request.membership, ticket):
        raise Http404
    event = get_object_or_404(
        TicketEvent.objects.select_related("actor"),
        pk=event_id,
        ticket=ticket,
        kind__in=services.MESSAGE_KINDS,
    )
    form = RedactionForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.message_redact(
                event=event, actor=request.user, secret=form.cleaned_data["secret"]
            )
        except services.DataProtectionError as error:
            form.add_error("secret", str(error))
        else:
            messages.success(request, _("The text is removed for good."))
            return redirect("ticket_detail", reference=ticket.reference)
    is_first = event.kind == TicketEvent.Kind.CREATED
    return render(
        request,
        "privacy/message_redact.html",
        {
            "ticket": ticket,
            "event": event,
            "form": form,
            "text": ticket.description if is_first else event.body,
            "author": ticket.requester.get_full_name() if is_first else _author(event),
        },
        status=400 if form.is_bound else 200,
    )


def _author(event: TicketEvent) -> str:
    return event.actor.get_full_name() if event.actor else _("GovDesk (automatic)")
