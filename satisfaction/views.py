"""The public page of a satisfaction question: `/satisfaction/<token>/`, from the e-mail.

The signed token is the key: it works without signing in. Signed in as someone other than
the requester, the page is a 404 like any other ticket that is not theirs.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.forms import form_add_service_error
from satisfaction import services
from satisfaction.forms import AnswerForm, ReopenForm


def survey_answer(request, survey_token: str):
    try:
        survey = services.survey_from_token(survey_token)
    except services.SurveyRefused as refusal:
        return render(
            request, "satisfaction/refused.html", {"message": " ".join(refusal.messages)},
            status=410 if isinstance(refusal, services.SurveyLinkExpired) else 404,
        )  # fmt: skip
    user = request.user
    if user.is_authenticated and user.pk != survey.requester_id:
        raise Http404
    form, reopen_form = AnswerForm(), ReopenForm()
    if request.method == "POST" and request.POST.get("action") == "reopen":
        reopen_form = ReopenForm(request.POST)
        if reopen_form.is_valid():
            try:
                services.survey_reopen(survey=survey, reason=reopen_form.cleaned_data["reason"])
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("%(reference)s is open again: its team will pick it up.")
                    % {"reference": survey.ticket.reference},
                )
            return _after_answer(request, survey)
    elif request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid():
            try:
                services.survey_answer(
                    survey=survey, rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                    actor=user if user.is_authenticated else None,
                )  # fmt: skip
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Thank you for your answer."))
                return _after_answer(request, survey)
    survey.refresh_from_db()
    return render(
        request,
        "satisfaction/answer.html",
        {
            "survey": survey,
            "ticket": survey.ticket,
            "form": form,
            "reopen_form": reopen_form,
            "current": services.survey_is_current(survey),
        },
    )


def _after_answer(request, survey):
    """Back to the ticket for a requester who answered from its page, else to this page."""
    if request.user.is_authenticated:
        return redirect("ticket_detail", reference=survey.ticket.reference)
    return redirect(request.path)
