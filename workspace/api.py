"""The agent's tools in the REST API v1: saved views, canned responses, and the time spent on
a ticket. Thin like the web views: every object comes through the same selectors (404 outside
the door) and every change goes through the same services."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.response import Response

from accounts.api_base import GovDeskViewSet
from core.api_errors import validation_detail
from core.api_input import StrictInputSerializer
from core.idempotency import idempotent
from tickets import selectors as ticket_selectors
from tickets.models import Ticket, TimeEntry
from tickets.time_spent import ticket_time_record
from workspace import selectors
from workspace.models import CannedResponse, SavedView

A_TICKET = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The ticket's reference.",
    examples=[OpenApiExample("A demo ticket", value="MOF-000001")],
)


# -- Serializers ----------------------------------------------------------------------------


class SavedViewSerializer(serializers.ModelSerializer):
    team = serializers.CharField(source="team.name", allow_null=True, default=None)
    owner = serializers.EmailField(source="owner.email")
    url = serializers.SerializerMethodField()

    class Meta:
        model = SavedView
        fields = ["id", "name", "scope", "team", "owner", "query", "url"]

    def get_url(self, view: SavedView) -> str:
        """The web queue with the view's filters."""
        address = reverse("queue") + (f"?{view.query}" if view.query else "")
        return self.context["request"].build_absolute_uri(address)


class CannedResponseSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.code", allow_null=True, default=None)
    texts = serializers.SerializerMethodField()

    class Meta:
        model = CannedResponse
        fields = ["id", "title", "scope", "agency", "texts", "usage_count", "updated_at"]

    def get_texts(self, response: CannedResponse) -> dict[str, str]:
        """The text per language code; placeholders such as {{ ticket.reference }} unfilled."""
        texts = {"en": response.body_en, "fr": response.body_fr}
        wanted = self.context.get("language")
        return {
            code: text for code, text in texts.items() if text and (not wanted or code == wanted)
        }


class ResponseFilterSerializer(StrictInputSerializer):
    q = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Words of the title or text."
    )
    lang = serializers.ChoiceField(
        choices=[("en", "English"), ("fr", "French")],
        required=False,
        allow_blank=True,
        help_text="Only responses with a text in this language, and only that text.",
    )


class TimeEntrySerializer(serializers.ModelSerializer):
    agent = serializers.EmailField(source="agent.email")
    agency = serializers.CharField(source="agency.code")
    requester_agency = serializers.CharField(
        source="requester_agency.code", allow_null=True, default=None
    )

    class Meta:
        model = TimeEntry
        fields = ["id", "minutes", "agent", "agency", "requester_agency", "created_at"]


class TimeEntryCreateSerializer(StrictInputSerializer):
    minutes = serializers.IntegerField(
        min_value=1,
        max_value=TimeEntry.MAX_MINUTES,
        help_text="Whole minutes, from 1 to 1,440 (24 hours).",
    )


# -- Views ----------------------------------------------------------------------------------


class SavedViewViewSet(mixins.ListModelMixin, GovDeskViewSet):
    """The caller's saved queue views and those shared with their agency or teams."""

    serializer_class = SavedViewSerializer
    queryset = SavedView.objects.none()
    ordering = ("name", "pk")

    def get_queryset(self):
        return selectors.saved_views_for(self.request.user, self.request.membership)

    @extend_schema(summary="Saved queue views")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class CannedResponseViewSet(mixins.ListModelMixin, GovDeskViewSet):
    """The canned responses the caller may use: the government's, their agency's, their own."""

    serializer_class = CannedResponseSerializer
    queryset = CannedResponse.objects.none()
    ordering = ("title", "pk")

    def get_queryset(self):
        return selectors.responses_for(
            self.request.user,
            self.request.membership,
            q=getattr(self, "filters", {}).get("q", ""),
            language=getattr(self, "filters", {}).get("lang", ""),
        )

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "language": getattr(self, "filters", {}).get("lang"),
        }

    @extend_schema(parameters=[ResponseFilterSerializer], summary="Canned responses")
    def list(self, request, *args, **kwargs):
        query = ResponseFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        self.filters = query.validated_data
        return super().list(request, *args, **kwargs)


class TimeEntryViewSet(mixins.ListModelMixin, GovDeskViewSet):
    """Minutes spent on one ticket, for the staff who read its internal side."""

    serializer_class = TimeEntrySerializer
    queryset = TimeEntry.objects.none()
    ordering = ("created_at", "pk")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Before any method check: outside the door is a 404 whatever was asked.
        self.ticket = self._ticket_for(kwargs["reference"])

    def _ticket_for(self, reference: str) -> Ticket:
        membership = self.request.membership
        ticket = ticket_selectors.ticket_get_for_user(self.request.user, membership, reference)
        if not (
            ticket_selectors.user_works_ticket(membership, ticket)
            or ticket_selectors.user_sees_internal(membership, ticket)
        ):
            raise Http404  # a requester's own ticket: its staff's time is not theirs to read
        return ticket

    def get_queryset(self):
        return TimeEntry.objects.filter(ticket=self.ticket).select_related(
            "agent", "agency", "requester_agency"
        )

    @extend_schema(parameters=[A_TICKET], summary="Time spent on a ticket")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @idempotent
    @extend_schema(
        request=TimeEntryCreateSerializer,
        parameters=[A_TICKET],
        responses={201: TimeEntrySerializer},
        examples=[OpenApiExample("Half an hour", value={"minutes": 30}, request_only=True)],
        summary="Record time spent on a ticket",
    )
    def create(self, request, *args, **kwargs):
        if not ticket_selectors.user_works_ticket(request.membership, self.ticket):
            raise exceptions.PermissionDenied(
                _("Only the staff of the agency handling this ticket may do this.")
            )
        data = TimeEntryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            entry = ticket_time_record(
                ticket=self.ticket, agent=request.user, minutes=data.validated_data["minutes"]
            )
        except ValidationError as error:
            raise exceptions.ValidationError(validation_detail(error)) from None
        entry = self.get_queryset().get(pk=entry.pk)
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)
