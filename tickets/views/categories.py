"""The service catalogue pages: agency admins manage their agency's categories, platform
admins the government-wide ones."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.forms import form_add_service_error
from tickets import category_selectors as selectors
from tickets import category_services as services
from tickets.category_forms import CategoryForm


def _require_catalogue_manager(request) -> None:
    if not selectors.may_manage_catalogue(request.membership):
        raise PermissionDenied


def _form(request, *, scope, category=None, initial=None) -> CategoryForm:
    return CategoryForm(
        request.POST or None,
        initial=initial,
        scope=scope,
        category=category,
        parents=selectors.parent_candidates(request.membership),
        agencies=selectors.handling_agency_candidates(),
        teams=selectors.team_candidates(),
    )


@login_required
def category_list(request):
    _require_catalogue_manager(request)
    sections = selectors.catalogue_for(request.membership)
    return render(request, "tickets/category_list.html", {"sections": sections})


@login_required
def category_create(request):
    _require_catalogue_manager(request)
    scope = selectors.catalogue_scope(request.membership)
    form = _form(request, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            category = services.category_create(
                agency=scope, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        except IntegrityError:  # another editor took the short name a moment ago
            form.add_error("slug", _("Another category already uses this short name."))
        else:
            messages.success(request, _("%(name)s is added.") % {"name": category.name})
            return redirect("category_list")
    return render(
        request, "tickets/category_form.html", {"form": form, "category": None, "scope": scope}
    )


@login_required
def category_edit(request, slug: str):
    category = selectors.category_get_for_manager(request.membership, slug)
    initial = {
        "name": category.name,
        "slug": category.slug,
        "description": category.description,
        "parent": category.parent_id,
        "handling_agency": category.handling_agency_id,
        "team": category.team_id,
        "default_impact": category.default_impact,
        "default_urgency": category.default_urgency,
        "is_active": category.is_active,
    }
    form = _form(request, scope=category.agency, category=category, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            category = services.category_update(
                category=category, actor=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        except IntegrityError:  # another editor took the short name a moment ago
            form.add_error("slug", _("Another category already uses this short name."))
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": category.name})
            return redirect("category_list")
    return render(
        request,
        "tickets/category_form.html",
        {"form": form, "category": category, "scope": category.agency},
    )
