"""`{% satisfaction_on_ticket ticket %}`: on a resolved ticket's page, its requester's one
question (or the answer they gave). Nothing, and no query, for anyone else."""

from django import template

register = template.Library()


@register.inclusion_tag("satisfaction/_question.html", takes_context=True)
def satisfaction_on_ticket(context, ticket):
    from satisfaction.forms import AnswerForm, ReopenForm
    from satisfaction.services import survey_current_for_ticket, survey_token_of

    request = context["request"]
    if request.user.pk != ticket.requester_id or ticket.status not in ticket.CLOSED_STATUSES:
        return {"shown": False}
    survey = survey_current_for_ticket(ticket)
    if survey is None:
        return {"shown": False}
    return {
        "shown": True,
        "survey": survey,
        "ticket": ticket,
        "token": survey_token_of(survey),
        "form": AnswerForm(auto_id="id_satisfaction_%s"),
        "reopen_form": ReopenForm(auto_id="id_satisfaction_reopen_%s"),
        "csrf_token": context.get("csrf_token"),
    }
