"""`/api/v1/tickets/{reference}/satisfaction/`: the verdict asked at the ticket's standing
resolution. Whoever may read the ticket reads it; its requester answers it, once."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_base import GovDeskViewSetMixin
from core.api_errors import validation_detail
from core.api_input import StrictInputSerializer
from satisfaction import services
from satisfaction.models import COMMENT_MAX_LENGTH, Survey
from tickets.selectors import ticket_get_for_user


class SatisfactionSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    state = serializers.ChoiceField(
        choices=["not_asked", "open", "answered"],
        help_text="`not_asked` while the ticket is not resolved.",
    )
    agency = serializers.CharField(allow_null=True, help_text="The agency the answer counts for.")
    resolved_at = serializers.DateTimeField(allow_null=True)
    rating = serializers.ChoiceField(choices=Survey.Rating.choices, allow_null=True)
    comment = serializers.CharField(allow_null=True, help_text="Shown to the requester and staff.")
    answered_at = serializers.DateTimeField(allow_null=True)


class SatisfactionAnswerSerializer(StrictInputSerializer):
    rating = serializers.ChoiceField(choices=Survey.Rating.choices)
    comment = serializers.CharField(max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True)
    token = serializers.CharField(
        max_length=500,
        required=False,
        help_text="The token of the e-mail's link, if answering from it: it must be this "
        "ticket's standing resolution.",
    )


def _shape(ticket, survey: Survey | None) -> dict:
    answered = survey is not None and survey.is_answered
    return {
        "ticket": ticket.reference,
        "state": "not_asked" if survey is None else "answered" if answered else "open",
        "agency": survey.agency.code if survey is not None else None,
        "resolved_at": survey.resolved_at if survey is not None else None,
        "rating": survey.rating if answered else None,
        "comment": survey.comment if answered else None,
        "answered_at": survey.answered_at if answered else None,
    }


A_TICKET = OpenApiParameter("reference", OpenApiTypes.STR, OpenApiParameter.PATH)


class TicketSatisfactionView(GovDeskViewSetMixin, APIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Outside the ticket door, a 404 whatever was asked.
        self.ticket = ticket_get_for_user(request.user, request.membership, kwargs["reference"])

    @extend_schema(
        parameters=[A_TICKET],
        responses={200: SatisfactionSerializer},
        summary="The requester's verdict on the ticket's resolution",
    )
    def get(self, request, reference: str):
        survey = services.survey_current_for_ticket(self.ticket)
        return Response(SatisfactionSerializer(_shape(self.ticket, survey)).data)

    @extend_schema(
        parameters=[A_TICKET],
        request=SatisfactionAnswerSerializer,
        responses={200: SatisfactionSerializer},
        summary="Answer for the ticket's resolution (its requester, once)",
    )
    def post(self, request, reference: str):
        serializer = SatisfactionAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = self.ticket
        if ticket.requester_id != request.user.pk:
            raise exceptions.PermissionDenied(
                _("Only the person who reported the problem answers this question.")
            )
        survey = services.survey_current_for_ticket(ticket)
        if survey is None:
            raise serializers.ValidationError(
                {"rating": [_("This ticket is not resolved: there is nothing to answer yet.")]}
            )
        if "token" in data:
            try:
                from_token = services.survey_from_token(data["token"])
            except services.SurveyRefused as refusal:
                raise serializers.ValidationError({"token": refusal.messages}) from None
            if from_token.pk != survey.pk:
                raise serializers.ValidationError(
                    {"token": [_("This link is for another ticket or resolution.")]}
                )
        try:
            survey = services.survey_answer(
                survey=survey, rating=data["rating"], comment=data.get("comment", ""),
                actor=request.user,
            )  # fmt: skip
        except ValidationError as error:
            raise serializers.ValidationError(validation_detail(error)) from None
        return Response(SatisfactionSerializer(_shape(ticket, survey)).data)
