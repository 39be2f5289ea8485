"""An agency's webhook endpoints, for its agency admins (and platform admins): register one,
change or remove it, and read its delivery log."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import Right
from agencies.selectors import agency_get_for_manager
from core.forms import form_add_service_error
from webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from webhooks.services import webhook_create, webhook_delete, webhook_update

DELIVERIES_SHOWN = 50


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Address"),
        max_length=500,
        assume_scheme="https",
        help_text=gettext_lazy("An https:// address of your agency's system."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    secret = forms.CharField(
        label=gettext_lazy("Signing secret"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("At least 16 characters. Leave empty and GovDesk makes one."),
    )


class WebhookEditForm(WebhookForm):
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].help_text = gettext_lazy("Leave empty to keep the current secret.")


def _agency(request, code: str):
    return agency_get_for_manager(request.membership, code, Right.CONFIGURE_AGENCY)


def _endpoint(agency, webhook_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(agency=agency, pk=webhook_id).first()
    if endpoint is None:
        raise Http404
    return endpoint


@login_required
def webhook_list(request, code: str):
    agency = _agency(request, code)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = webhook_create(
                agency=agency, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            return render(
                request,
                "notifications/webhook_created.html",
                {"agency": agency, "endpoint": endpoint, "secret": secret},
            )
    endpoints = WebhookEndpoint.objects.filter(agency=agency).order_by("url", "pk")
    return render(
        request,
        "notifications/webhook_list.html",
        {"agency": agency, "endpoints": endpoints, "form": form},
    )


@login_required
def webhook_detail(request, code: str, webhook_id: int):
    agency = _agency(request, code)
    endpoint = _endpoint(agency, webhook_id)
    form = WebhookEditForm(
        request.POST or None,
        initial={"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active},
    )
    if request.method == "POST" and form.is_valid():
        try:
            webhook_update(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("%(url)s is saved.") % {"url": endpoint.url})
            return redirect("webhook_detail", agency.code, endpoint.pk)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")
    return render(
        request,
        "notifications/webhook_detail.html",
        {
            "agency": agency,
            "endpoint": endpoint,
            "form": form,
            "deliveries": list(deliveries[:DELIVERIES_SHOWN]),
        },
    )


@login_required
@require_POST
def webhook_delete_view(request, code: str, webhook_id: int):
    agency = _agency(request, code)
    endpoint = _endpoint(agency, webhook_id)
    webhook_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, _("%(url)s is removed.") % {"url": endpoint.url})
    return redirect("webhook_list", agency.code)
