"""A person's in-app notices and how they want to hear about things."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_add_service_error
from core.http import safe_next_url
from notifications import notice_services, selectors
from notifications.models import MANDATORY_KINDS, Kind
from notifications.notice_forms import PreferencesForm

NOTICES_PER_PAGE = 25


@login_required
def notice_list(request):
    notices = selectors.notices_for_user(request.user)
    page = Paginator(notices, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "notifications/notices.html", {"page": page, "notices": page.object_list}
    )


@login_required
@require_POST
def notice_read(request, notice_id: int):
    notice = selectors.notice_get_for_user(request.user, notice_id)
    notice_services.notice_mark_read(notice=notice)
    messages.success(request, _("The notice is marked as read."))
    return redirect(safe_next_url(request, default="notices"))


@login_required
@require_POST
def notices_read_all(request):
    notice_services.notices_mark_all_read(user=request.user)
    messages.success(request, _("All your notices are marked as read."))
    return redirect(safe_next_url(request, default="notices"))


@login_required
def preferences(request):
    form = PreferencesForm(
        request.POST or None, initial=selectors.preferences_for_user(request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            notice_services.preferences_save(user=request.user, modes=form.cleaned_data)
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notification_preferences")
    mandatory = [kind for kind in Kind if kind in MANDATORY_KINDS]
    return render(
        request, "notifications/preferences.html", {"form": form, "mandatory_kinds": mandatory}
    )
