"""The gateways' callbacks, a person's mobile number, and an agency's import of numbers."""

import hmac
import ipaddress

import pghistory
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.permissions import Right
from agencies.selectors import agency_get_for_manager
from channels import services
from channels.forms import PhoneCodeForm, PhoneImportForm, PhoneNumberForm, PhoneUpdatesForm
from channels.gateways import BadCallback, gateway_module
from channels.intake import sms_receive
from channels.selectors import phone_of
from channels.ussd import ussd_answer
from core.forms import form_add_service_error

# -- Gateways' callbacks -----------------------------------------------------------------------


def _client_address(request) -> str:
    proxies = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _address_allowed(request) -> bool:
    if not settings.SMS_GATEWAY_ALLOWED_NETWORKS:
        return True
    try:
        address = ipaddress.ip_address(_client_address(request))
    except ValueError:
        return False
    return any(address in network for network in settings.SMS_GATEWAY_ALLOWED_NETWORKS)


def _gateway_for_callback(request, gateway: str, token: str):
    """The gateway module, if the token is right and the caller allowed; 404 otherwise, the
    same for every refusal, so a prober learns nothing."""
    expected = settings.SMS_CALLBACK_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Http404
    module = gateway_module(gateway)
    if module is None or not _address_allowed(request):
        raise Http404
    # The configuration history records the address of the request that changed anything
    # (a team's round-robin turn): never with the secret in it.
    pghistory.context(url=request.path.replace(token, "<token>"))
    return module


@csrf_exempt
def sms_callback(request, gateway: str, token: str):
    module = _gateway_for_callback(request, gateway, token)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        message = module.parse_sms(request)
    except BadCallback as error:
        return HttpResponseBadRequest(f"Bad callback: {error}", content_type="text/plain")
    sms_receive(gateway=gateway, message=message)
    return HttpResponse("OK", content_type="text/plain")


@csrf_exempt
def ussd_callback(request, gateway: str, token: str):
    module = _gateway_for_callback(request, gateway, token)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        ussd = module.parse_ussd(request)
    except BadCallback as error:
        return HttpResponseBadRequest(f"Bad callback: {error}", content_type="text/plain")
    return module.ussd_response(ussd_answer(gateway=gateway, request=ussd))


# -- A person's mobile number ------------------------------------------------------------------


@login_required
def phone_page(request):
    """The person's number: add or change it (a POST), confirm it, choose SMS news."""
    phone = phone_of(request.user)
    form = PhoneNumberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phone = services.phone_add(user=request.user, number=form.cleaned_data["number"])
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            if phone.is_confirmed:
                messages.success(request, _("This number is already confirmed."))
            else:
                messages.success(
                    request, _("We sent a code to %(number)s.") % {"number": phone.number}
                )
            return redirect("phone")
    return _phone_render(request, phone, number_form=form, status=400 if form.is_bound else 200)


def _phone_render(request, phone, *, number_form=None, code_form=None, status=200):
    return render(
        request,
        "channels/phone.html",
        {
            "phone": phone,
            "number_form": number_form or PhoneNumberForm(),
            "code_form": code_form or PhoneCodeForm(),
            "updates_form": PhoneUpdatesForm(
                initial={"sms_updates": phone.sms_updates if phone else False}
            ),
        },
        status=status,
    )


@login_required
@require_POST
def phone_confirm(request):
    phone = phone_of(request.user)
    if phone is None:
        return redirect("phone")
    form = PhoneCodeForm(request.POST)
    if form.is_valid():
        try:
            services.phone_confirm(phone=phone, code=form.cleaned_data["code"])
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Your number is confirmed."))
            return redirect("phone")
    phone.refresh_from_db()
    return _phone_render(request, phone, code_form=form, status=400)


@login_required
@require_POST
def phone_resend(request):
    phone = phone_of(request.user)
    if phone is not None:
        try:
            services.phone_resend_code(phone=phone)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("We sent a new code."))
    return redirect("phone")


@login_required
@require_POST
def phone_updates(request):
    phone = phone_of(request.user)
    form = PhoneUpdatesForm(request.POST)
    if phone is not None and phone.is_confirmed and form.is_valid():
        services.phone_set_updates(phone=phone, sms_updates=form.cleaned_data["sms_updates"])
        messages.success(request, _("Your choice is saved."))
    return redirect("phone")


@login_required
@require_POST
def phone_remove(request):
    services.phone_remove(user=request.user)
    messages.success(request, _("Your mobile number is removed."))
    return redirect("phone")


# -- An agency's import ------------------------------------------------------------------------


@login_required
def phone_import(request, code: str):
    """An agency admin sets the confirmed numbers of the agency's own people from a CSV."""
    agency = agency_get_for_manager(request.membership, code, Right.MANAGE_MEMBERS)
    form = PhoneImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = services.phones_import_csv(
                agency=agency, data=form.cleaned_data["file"].read(), actor=request.user
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(count)d mobile numbers were set as confirmed.") % {"count": count},
            )
            return redirect("phone_import", agency.code)
    status = 400 if form.errors else 200
    return render(
        request, "channels/phone_import.html", {"agency": agency, "form": form}, status=status
    )
