"""The outbox for platform admins: what was sent, what waits, what failed, and a retry."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import Right, membership_has_right
from core.http import safe_next_url
from mail.delivery import outbox_retry
from mail.models import Outbox

PAGE_SIZE = 50


class OutboxFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        choices=[("", gettext_lazy("Every state")), *Outbox.State.choices],
        required=False,
    )


def _is_platform_admin(request) -> bool:
    return membership_has_right(request.membership, Right.MANAGE_AGENCIES)


def _outbox_get_for_admin(request, outbox_id: int) -> Outbox:
    """The row, for a platform admin; 404 for anyone else, as for a row that does not exist."""
    outbox = Outbox.objects.filter(pk=outbox_id).first() if _is_platform_admin(request) else None
    if outbox is None:
        raise Http404
    return outbox


@login_required
def outbox_list(request):
    if not _is_platform_admin(request):
        raise PermissionDenied
    form = OutboxFilterForm(request.GET)
    state = form.cleaned_data["state"] if form.is_valid() else ""
    # The bodies can be long and a page needs none of them.
    rows = Outbox.objects.defer("body_text", "body_html", "headers").order_by("-created_at", "-id")
    if state:
        rows = rows.filter(state=state)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/outbox_list.html",
        {"filter_form": form, "state": state, "page_obj": page},
    )


@login_required
@require_POST
def outbox_retry_view(request, outbox_id: int):
    outbox = _outbox_get_for_admin(request, outbox_id)
    if outbox_retry(outbox=outbox, actor=request.user):
        messages.success(
            request,
            _("The message to %(address)s is queued to be sent again.")
            % {"address": outbox.to_address},
        )
    else:
        messages.error(
            request,
            _("The message to %(address)s has not failed, so there is nothing to retry.")
            % {"address": outbox.to_address},
        )
    return redirect(safe_next_url(request, default="outbox_list"))
