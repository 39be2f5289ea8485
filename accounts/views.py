from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import MembershipSwitchForm, ProfileForm
from accounts.middleware import CURRENT_MEMBERSHIP_SESSION_KEY, language_cookie_set
from accounts.selectors import memberships_usable_by
from accounts.services import user_update_profile
from core.http import safe_next_url


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "full_name": user.full_name,
            "preferred_language": user.preferred_language,
            "single_key_shortcuts": user.single_key_shortcuts,
        },
    )
    if request.method == "POST" and form.is_valid():
        user_update_profile(user=user, **form.cleaned_data)
        language = form.cleaned_data["preferred_language"]
        # The confirmation reads in the language the next page will have.
        with translation.override(language or translation.get_language_from_request(request)):
            messages.success(request, _("Your profile is saved."))
        response = redirect("profile")
        language_cookie_set(response, language)
        return response
    memberships = memberships_usable_by(user)
    return render(request, "accounts/profile.html", {"form": form, "memberships": memberships})


@login_required
@require_POST
def membership_switch(request):
    form = MembershipSwitchForm(request.POST)
    membership = None
    if form.is_valid():
        membership = (
            memberships_usable_by(request.user).filter(pk=form.cleaned_data["membership"]).first()
        )
    if membership is None:
        messages.error(
            request, _("That role is not yours, or its agency is inactive. Nothing changed.")
        )
    else:
        request.session[CURRENT_MEMBERSHIP_SESSION_KEY] = membership.pk
        where = membership.agency.name if membership.agency else _("government-wide")
        messages.success(
            request,
            _("You are now acting as %(role)s, %(where)s.")
            % {"role": membership.get_role_display(), "where": where},
        )
    return redirect(safe_next_url(request, default="home"))
