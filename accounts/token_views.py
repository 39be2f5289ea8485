"""The API tokens page of a person's profile: make a token (its key shown once), revoke one."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import ApiToken
from accounts.token_services import NAME_MAX_LENGTH, api_token_create, api_token_revoke
from core.forms import form_add_service_error

NEVER = "never"


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=NAME_MAX_LENGTH,
        help_text=gettext_lazy("What uses it, such as “Payroll interface monitor”."),
    )
    expires_in = forms.ChoiceField(
        label=gettext_lazy("Expires"),
        choices=[
            ("30", gettext_lazy("In 30 days")),
            ("90", gettext_lazy("In 90 days")),
            ("365", gettext_lazy("In a year")),
            (NEVER, gettext_lazy("Never")),
        ],
        initial="90",
        widget=forms.RadioSelect,
    )

    def expires_at(self):
        value = self.cleaned_data["expires_in"]
        return None if value == NEVER else timezone.now() + timedelta(days=int(value))


def _tokens_of(user):
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")


@login_required
def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, new_key = api_token_create(
                user=request.user, name=form.cleaned_data["name"], expires_at=form.expires_at()
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            # Shown on this answer only, never stored: no redirect, and the page is no-store.
            # The panel with the key says it is made; no second message.
            form = ApiTokenForm()
    return render(
        request,
        "accounts/api_tokens.html",
        {"form": form, "tokens": list(_tokens_of(request.user)), "new_key": new_key,
         "now": timezone.now()},
    )  # fmt: skip


@login_required
@require_POST
def api_token_revoke_view(request, token_id: int):
    # Only the person's own tokens: another's is a 404, as is one that does not exist.
    token = _tokens_of(request.user).select_related("user").filter(pk=token_id).first()
    if token is None:
        raise Http404
    if api_token_revoke(token=token, actor=request.user):
        messages.success(request, _("%(name)s is revoked.") % {"name": token.name})
    else:
        messages.info(request, _("%(name)s was already revoked.") % {"name": token.name})
    return redirect("api_tokens")
