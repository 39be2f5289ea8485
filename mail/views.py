"""Quarantined e-mail, for agency admins (their mailboxes) and platform admins (all)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import Right, membership_has_right
from mail import selectors as inbound_selectors
from mail.inbound import inbound_discard, inbound_parse, inbound_release
from mail.models import InboundMessage

PAGE_SIZE = 50
# Enough of a long message to judge it by; the whole of it is in the download.
TEXT_SHOWN_CHARS = 50000
SUMMARY_HEADERS = ("From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-ID")


class StateFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("Show"), choices=InboundMessage.State.choices, required=False
    )


def _require_mail_admin(request) -> None:
    if not membership_has_right(request.membership, Right.CONFIGURE_AGENCY):
        raise PermissionDenied


@login_required
def quarantine_list(request):
    _require_mail_admin(request)
    form = StateFilterForm(request.GET)
    state = (form.is_valid() and form.cleaned_data["state"]) or InboundMessage.State.QUARANTINED
    rows = inbound_selectors.inbound_messages_for_list(request.membership, state)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for message in page:
        message.ticket_shown = inbound_selectors.inbound_ticket_shown(request.membership, message)
    return render(
        request,
        "notifications/quarantine_list.html",
        {"filter_form": form, "state": state, "page_obj": page},
    )


@login_required
def quarantine_detail(request, message_id: int):
    message = inbound_selectors.inbound_message_get_for(request.membership, message_id)
    parsed = inbound_parse(bytes(message.raw))
    headers = parsed.headers()
    summary = [(name, value) for name, value in headers if name.title() in SUMMARY_HEADERS]
    return render(
        request,
        "notifications/quarantine_detail.html",
        {
            "message": message,
            "ticket_shown": inbound_selectors.inbound_ticket_shown(request.membership, message),
            "summary": summary,
            "headers": headers,
            "text": parsed.text[:TEXT_SHOWN_CHARS],
            "text_shortened": len(parsed.text) > TEXT_SHOWN_CHARS,
            "files": [(f.name, f.content_type, len(f.content)) for f in parsed.files],
            "signatures": [(f.name, f.content_type, len(f.content)) for f in parsed.signatures],
            "defects": parsed.defects,
        },
    )


@login_required
def quarantine_raw(request, message_id: int):
    """The message exactly as received, to open in a mail program: never shown in the page."""
    message = inbound_selectors.inbound_message_get_for(request.membership, message_id)
    response = HttpResponse(bytes(message.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    response["Content-Security-Policy"] = "sandbox"
    return response


@login_required
@require_POST
def quarantine_release(request, message_id: int):
    message = inbound_selectors.inbound_message_get_for(request.membership, message_id)
    try:
        message = inbound_release(message=message, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("inbound_message", message_id=message.pk)
    if message.state == InboundMessage.State.RELEASED:
        if inbound_selectors.inbound_ticket_shown(request.membership, message):
            text = _("The message is released onto %(reference)s.")
            messages.success(request, text % {"reference": message.ticket.reference})
        else:
            messages.success(request, _("The message is released onto a ticket of another agency."))
        return redirect("inbound_quarantine")
    if message.state == InboundMessage.State.IGNORED:
        messages.success(request, _("The message is released and ignored: %(reason)s") % {
            "reason": message.reason
        })  # fmt: skip
        return redirect("inbound_quarantine")
    messages.warning(
        request, _("The message is still held: %(reason)s") % {"reason": message.reason}
    )
    return redirect("inbound_message", message_id=message.pk)


@login_required
@require_POST
def quarantine_discard(request, message_id: int):
    message = inbound_selectors.inbound_message_get_for(request.membership, message_id)
    try:
        inbound_discard(message=message, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("inbound_message", message_id=message.pk)
    messages.success(request, _("The message is discarded. It is kept, but nothing more happens."))
    return redirect("inbound_quarantine")
