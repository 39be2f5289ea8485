"""The tickets part of the REST API v1: categories, tickets, their history, comments,
transfers and files.

Thin like the web views: every ticket comes through `selectors.tickets_visible_to` /
`ticket_get_for_user` (404 for anything outside it), every change goes through the same
services as the web pages, and the permission checks, the list's filters and the services
offered are the web's own (`user_works_ticket`, `user_sees_internal`, `user_may_reply`,
`filters.tickets_filtered`, `category_selectors`). A ticket the caller may read but not change
answers 403.
"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.api_base import GovDeskViewSet
from accounts.models import User
from accounts.permissions import Right, membership_has_right
from accounts.selectors import memberships_usable_by
from agencies.models import Agency, Team
from core.api_errors import PayloadTooLarge, validation_detail
from core.api_input import StrictBooleanField, StrictInputSerializer
from core.idempotency import idempotent
from core.masking import secrets_mask
from service_levels.models import Priority
from tickets import attachments, category_selectors, filters, selectors, services
from tickets.agent_forms import NOBODY
from tickets.models import Attachment, Category, Level, Ticket, TicketEvent
from tickets.views import portal

# `ordering` values and the order they stand for; the last key keeps pages stable.
TICKET_ORDERINGS = {
    "-created_at": ("-created_at", "-pk"),
    "created_at": ("created_at", "pk"),
    "-updated_at": ("-updated_at", "-pk"),
    "updated_at": ("updated_at", "pk"),
}
# The API's word for "nobody"; "me" is the web's own.
API_NOBODY = "none"
# Ids and versions fit PostgreSQL's bigint; a larger number is a 400, not a database error.
ID_MAX = 2**63 - 1


# -- Serializers: what goes out ---------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(source="get_full_name")


class TeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SLAPolicySerializer(serializers.Serializer):
    agency = serializers.CharField(source="agency.code", allow_null=True, default=None)
    priority = serializers.CharField()
    response_minutes = serializers.IntegerField()
    resolution_minutes = serializers.IntegerField()
    business_hours = serializers.BooleanField()


class SLASerializer(serializers.Serializer):
    policy = SLAPolicySerializer(source="sla_policy", allow_null=True)
    response_due_at = serializers.DateTimeField(allow_null=True)
    resolution_due_at = serializers.DateTimeField(allow_null=True)
    response_breached = serializers.BooleanField()
    resolution_breached = serializers.BooleanField()
    paused = serializers.SerializerMethodField()

    def get_paused(self, ticket: Ticket) -> bool:
        return ticket.sla_paused_since is not None


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.slug", allow_null=True, default=None)
    agency = serializers.CharField(source="agency.code", allow_null=True, default=None)
    handling_agency = serializers.CharField(
        source="handling_agency.code", allow_null=True, default=None
    )

    class Meta:
        model = Category
        fields = [
            "slug", "name", "description", "parent", "agency", "handling_agency",
            "default_impact", "default_urgency",
        ]  # fmt: skip


def _reveals_secrets(context: dict, ticket: Ticket) -> bool:
    """Secrets in a ticket's text are shown as written to its handling agents only, as on
    the web's ticket page; everyone else reads them masked."""
    return selectors.user_works_ticket(getattr(context["request"], "membership", None), ticket)


class TicketSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.slug")
    requester = PersonSerializer()
    assignee = PersonSerializer(allow_null=True)
    requester_agency = serializers.CharField(
        source="requester_agency.code", allow_null=True, default=None
    )
    agency = serializers.CharField(source="agency.code")
    team = TeamSerializer(allow_null=True)
    parent = serializers.CharField(source="parent.reference", allow_null=True, default=None)
    sla = SLASerializer(source="*")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "reference", "url", "subject", "description", "status", "priority", "impact",
            "urgency", "category", "channel", "requester", "assignee", "requester_agency",
            "agency", "team", "created_at", "updated_at", "first_response_at", "resolved_at",
            "closed_at", "parent", "sla", "version",
        ]  # fmt: skip

    def get_url(self, ticket: Ticket) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api-ticket-detail", args=[ticket.reference])
        )

    def to_representation(self, ticket: Ticket) -> dict:
        data = super().to_representation(ticket)
        if not _reveals_secrets(self.context, ticket):
            data["description"] = secrets_mask(data["description"])
        return data


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["name", "size", "content_type", "url"]

    def get_url(self, attachment: Attachment) -> str:
        return self.context["request"].build_absolute_uri(
            reverse(
                "api-ticket-attachment-download",
                args=[self.context["ticket"].reference, attachment.token],
            )
        )


class EventSerializer(serializers.ModelSerializer):
    actor = PersonSerializer(allow_null=True)
    public = serializers.BooleanField(source="is_public")
    data = serializers.DictField()
    attachments = AttachmentSerializer(many=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "public", "body", "data", "created_at", "attachments"]

    def to_representation(self, event: TicketEvent) -> dict:
        data = super().to_representation(event)
        if not _reveals_secrets(self.context, self.context["ticket"]):
            data["body"] = secrets_mask(data["body"])
        return data


class TicketLoggedSerializer(serializers.Serializer):
    """A call logged for someone whose ticket went to an agency the agent does not see into:
    what to tell the caller, and nothing the agent may not read. Not a `Ticket`: the agent
    cannot open it, so it carries no `reference` to follow."""

    logged_as = serializers.CharField(help_text="The ticket's reference, for the caller.")
    handled_by = serializers.CharField(help_text="The handling agency's code.")


class TicketLoggedSchema(OpenApiSerializerExtension):
    """Closed to other properties, so that a full `Ticket` is never taken for one."""

    target_class = TicketLoggedSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target_class, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}


TICKET_CREATED = PolymorphicProxySerializer(
    component_name="TicketCreated",
    serializers=[TicketSerializer, TicketLoggedSerializer],
    resource_type_field_name=None,
    many=False,
)


# -- Serializers: what comes in ---------------------------------------------------------------


class TicketFilterSerializer(StrictInputSerializer):
    """The list's filters. An empty text or choice (`?status=`) is no filter, as in the web's
    forms; an empty time or team is refused, as the schema says."""

    status = serializers.ChoiceField(
        choices=Ticket.Status.choices, required=False, allow_blank=True
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_blank=True)
    agency = serializers.CharField(
        max_length=12, required=False, allow_blank=True, help_text="The handling agency's code."
    )
    team = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, required=False, help_text="A team's id."
    )
    assignee = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text="An e-mail address, `me` or `none`.",
    )
    category = serializers.CharField(
        max_length=80, required=False, allow_blank=True, help_text="A slug."
    )
    updated_after = serializers.DateTimeField(required=False)
    q = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Full-text search."
    )
    ordering = serializers.ChoiceField(
        choices=list(TICKET_ORDERINGS),
        required=False,
        allow_blank=True,
        help_text="Default `-created_at`.",
    )


class TicketCreateSerializer(StrictInputSerializer):
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20000)
    category = serializers.SlugField(max_length=80, help_text="A category's slug.")
    impact = serializers.ChoiceField(choices=Level.choices)
    urgency = serializers.ChoiceField(choices=Level.choices)
    requester = serializers.EmailField(
        required=False, help_text="Agents only: the person the ticket is for."
    )
    channel = serializers.ChoiceField(
        choices=[Ticket.Channel.API, Ticket.Channel.PHONE],
        required=False,
        help_text="Agents only: `phone` for a call they log.",
    )


class TicketUpdateSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    impact = serializers.ChoiceField(choices=Level.choices, required=False)
    urgency = serializers.ChoiceField(choices=Level.choices, required=False)
    team = serializers.IntegerField(min_value=1, max_value=ID_MAX, required=False, allow_null=True)
    assignee = serializers.EmailField(required=False, allow_null=True)
    category = serializers.SlugField(max_length=80, required=False)
    version = serializers.IntegerField(
        min_value=1,
        max_value=ID_MAX,
        required=False,
        help_text="The version you read: a change made since then is refused with 409.",
    )


class CommentSerializer(StrictInputSerializer):
    body = serializers.CharField(max_length=20000)
    internal = StrictBooleanField(default=False, help_text="Agents only.")


class TransferSerializer(StrictInputSerializer):
    agency = serializers.CharField(max_length=12, help_text="The receiving agency's code.")
    reason = serializers.CharField(max_length=2000)


class AttachmentUploadSerializer(StrictInputSerializer):
    file = serializers.ListField(
        child=serializers.FileField(), min_length=1, help_text="One or more files."
    )
    body = serializers.CharField(max_length=20000, required=False)
    internal = StrictBooleanField(default=False, help_text="Agents only.")


# Examples in the demo government's terms (`manage.py seed_demo`).
A_TICKET = OpenApiParameter(
    "reference",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The ticket's reference.",
    examples=[OpenApiExample("A demo ticket", value="MOF-000001")],
)
CREATE_EXAMPLES = [
    OpenApiExample(
        "A problem of one's own",
        value={
            "subject": "Printer offline",
            "description": "The printer on the second floor says it is offline.",
            "category": "computer-and-printer",
            "impact": "low",
            "urgency": "medium",
        },
        request_only=True,
    ),
    OpenApiExample(
        "A call logged for a caller",
        value={
            "subject": "Mailbox full",
            "description": "The caller's mailbox is full and refuses new messages.",
            "category": "email",
            "impact": "medium",
            "urgency": "high",
            "requester": "requester@mof.gov.test",
            "channel": "phone",
        },
        request_only=True,
    ),
]
# Downloads go out in the type their checked extension stands for.
DOWNLOAD_TYPES = sorted(
    {content_type for _kind, content_type in attachments.ACCEPTED_EXTENSIONS.values()}
)


def _refuse(message: str):
    return exceptions.PermissionDenied(message)


# -- Views ------------------------------------------------------------------------------------


class CategoryViewSet(mixins.ListModelMixin, GovDeskViewSet):
    """The services the caller may report problems under."""

    serializer_class = CategorySerializer
    queryset = Category.objects.none()
    ordering = ("slug",)

    def get_queryset(self):
        return category_selectors.categories_to_report_under(
            self.request.membership
        ).select_related("agency", "handling_agency")


class TicketViewSet(GovDeskViewSet):
    serializer_class = TicketSerializer
    queryset = Ticket.objects.none()
    lookup_field = "reference"
    lookup_value_converter = "str"

    # -- Finding tickets ------------------------------------------------------------------

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Before any method check: a ticket outside the door is a 404 whatever was asked, so
        # that a 405 tells nothing of whether it exists.
        self.ticket = self._ticket_for(kwargs["reference"]) if "reference" in kwargs else None

    def _ticket_for(self, reference: str) -> Ticket:
        """The ticket through the selectors' door (404 outside it), with what the API shows."""
        ticket = self.get_queryset().filter(reference=reference.upper()).first()
        if ticket is None:
            raise Http404
        return ticket

    def get_queryset(self):
        return selectors.tickets_visible_to(
            self.request.user, self.request.membership
        ).select_related("parent", "sla_policy__agency")

    def get_parsers(self):
        # A change may set a team or an assignee to none, which a form cannot say: JSON only.
        if getattr(self.request, "method", None) == "PATCH":
            return [JSONParser()]
        return super().get_parsers()

    def cursor_ordering(self, request):
        if self.action == "events":
            return ("created_at", "pk")
        return TICKET_ORDERINGS[self.filters.get("ordering") or "-created_at"]

    def _serialize(self, ticket: Ticket, status_code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(ticket).data, status=status_code)

    def _works_ticket(self) -> bool:
        return selectors.user_works_ticket(self.request.membership, self.ticket)

    def _require_works_ticket(self) -> None:
        if not self._works_ticket():
            raise _refuse(_("Only the staff of the agency handling this ticket may do this."))

    # -- The list -------------------------------------------------------------------------

    @extend_schema(parameters=[TicketFilterSerializer], summary="Tickets the caller may see")
    def list(self, request):
        query = TicketFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        self.filters = {
            name: value
            for name, value in query.validated_data.items()
            if not (isinstance(value, str) and not value.strip())
        }
        tickets = self._filtered(self.get_queryset(), self.filters)
        page = self.paginate_queryset(tickets)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _filtered(self, tickets, criteria: dict):
        criteria = dict(criteria)
        if criteria.get("assignee", "").strip().lower() == API_NOBODY:
            criteria["assignee"] = NOBODY
        return filters.tickets_filtered(
            tickets, user=self.request.user, membership=self.request.membership, filters=criteria
        )

    # -- One ticket -----------------------------------------------------------------------

    @extend_schema(parameters=[A_TICKET], summary="One ticket")
    def retrieve(self, request, reference: str):
        return self._serialize(self.ticket)

    # -- Reporting ------------------------------------------------------------------------

    @idempotent
    @extend_schema(
        request=TicketCreateSerializer,
        responses={201: TICKET_CREATED},
        examples=CREATE_EXAMPLES,
        summary="Report a problem",
        description=(
            "Answers the new ticket as created; a call an agent logs for a ticket handled by "
            "an agency they do not see into answers only its reference and that agency. A "
            "report that matches an open major incident joins it a moment later: its `parent` "
            "shows on the next read."
        ),
    )
    def create(self, request):
        data = self._valid(TicketCreateSerializer, request.data)
        membership = request.membership
        requester, requester_agency, logged_by = request.user, None, None
        if membership is not None:
            requester_agency = membership.agency
        on_behalf = "requester" in data or data.get("channel") == Ticket.Channel.PHONE
        if on_behalf:
            if not membership_has_right(membership, Right.WORK_QUEUE):
                raise _refuse(_("Only agents may report a problem for someone else."))
            requester, requester_agency = self._caller(data.get("requester") or request.user.email)
            logged_by = request.user
        offered = (
            category_selectors.categories_to_log_calls_under(membership)
            if on_behalf
            else category_selectors.categories_to_report_under(membership)
        )
        category = offered.filter(slug=data["category"]).first()
        if category is None:
            raise exceptions.ValidationError(
                {"category": [_("No service you may use has this short name.")]}
            )
        try:
            ticket = services.ticket_create(
                requester=requester,
                requester_agency=requester_agency,
                category=category,
                subject=data["subject"],
                description=data["description"],
                impact=data["impact"],
                urgency=data["urgency"],
                channel=data.get("channel", Ticket.Channel.API),
                logged_by=logged_by,
            )
        except ValidationError as error:
            raise exceptions.ValidationError(validation_detail(error)) from None
        # The ticket as created, not read back: a matching major incident takes it in a moment
        # later, in the worker (the next GET shows its parent). A new ticket is
        # inside the door of its requester and of the staff of its agency, no one else yet.
        visible = ticket.requester_id == request.user.pk or membership_has_right(
            membership, Right.SEE_AGENCY_TICKETS, ticket.agency_id
        )
        if not visible:
            # Logged for a caller and routed to an agency this agent cannot see into.
            return Response(
                TicketLoggedSerializer(
                    {"logged_as": ticket.reference, "handled_by": ticket.agency.code}
                ).data,
                status=status.HTTP_201_CREATED,
            )
        policy = ticket.sla_policy
        if policy is not None and policy.agency_id == ticket.agency_id:
            policy.agency = ticket.agency  # the agency's own policy: named without a query
        return self._serialize(ticket, status.HTTP_201_CREATED)

    def _caller(self, email: str):
        requester = User.objects.filter(email__iexact=email, is_active=True).first()
        if requester is None:
            raise exceptions.ValidationError(
                {"requester": [_("No one with this address uses GovDesk.")]}
            )
        membership = memberships_usable_by(requester).first()
        return requester, membership.agency if membership else None

    @staticmethod
    def _valid(serializer_class, data) -> dict:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    # -- Changing -------------------------------------------------------------------------

    @extend_schema(
        request=TicketUpdateSerializer,
        parameters=[A_TICKET],
        examples=[
            OpenApiExample(
                "Raise the priority", value={"impact": "high", "urgency": "high"}, request_only=True
            )
        ],
        summary="Change a ticket",
    )
    def partial_update(self, request, reference: str):
        data = self._valid(TicketUpdateSerializer, request.data)
        works_ticket = self._works_ticket()
        ticket = self._agent_update(data) if works_ticket else self._requester_update(data)
        return self._serialize(self._ticket_for(ticket.reference))

    def _agent_update(self, data: dict) -> Ticket:
        ticket = self.ticket
        changes = {}
        if "team" in data:
            team = None
            if data["team"] is not None:
                team = Team.objects.filter(pk=data["team"], agency=ticket.agency_id).first()
                if team is None:
                    raise exceptions.ValidationError(
                        {"team": [_("Choose a team of the handling agency.")]}
                    )
            changes["team"] = team
        if "assignee" in data:
            assignee = None
            if data["assignee"] is not None:
                assignee = (
                    selectors.agents_of_agency(ticket.agency_id)
                    .filter(email__iexact=data["assignee"])
                    .first()
                )
                if assignee is None:
                    raise exceptions.ValidationError(
                        {"assignee": [_("Choose an agent of the agency handling the ticket.")]}
                    )
            changes["assignee"] = assignee
        if "category" in data:
            category = Category.objects.filter(slug=data["category"]).first()
            if category is None:
                raise exceptions.ValidationError({"category": [_("No service has this name.")]})
            changes["category"] = category
        try:
            return services.ticket_update(
                ticket=ticket,
                actor=self.request.user,
                expected_version=data.get("version"),
                status=data.get("status"),
                impact=data.get("impact"),
                urgency=data.get("urgency"),
                **changes,
            )
        except services.StaleTicket:
            raise
        except ValidationError as error:
            raise exceptions.ValidationError(validation_detail(error)) from None

    def _requester_update(self, data: dict) -> Ticket:
        """Those who do not work the ticket may only close their own, or reopen it."""
        ticket = self.ticket
        others = set(data) - {"status", "version"}
        if others or ticket.requester_id != self.request.user.pk:
            raise _refuse(_("Only the staff of the agency handling this ticket may do this."))
        wanted = data.get("status")
        try:
            if wanted == Ticket.Status.CLOSED:
                return services.ticket_close_by_requester(ticket=ticket, actor=self.request.user)
            if wanted == Ticket.Status.OPEN:
                return services.ticket_reopen(ticket=ticket, actor=self.request.user)
        except ValidationError as error:
            raise exceptions.ValidationError({"status": error.messages}) from None
        if wanted is None:
            return ticket
        raise exceptions.ValidationError(
            {"status": [_("You may close your ticket, or reopen it once it is resolved.")]}
        )

    # -- History and conversation -------------------------------------------------------------

    @extend_schema(
        parameters=[A_TICKET],
        responses=EventSerializer(many=True),
        summary="The ticket's history",
    )
    @action(detail=True, methods=["get"])
    def events(self, request, reference: str):
        ticket = self.ticket
        sees_internal = self._works_ticket() or selectors.user_sees_internal(
            request.membership, ticket
        )
        events = ticket.events.select_related("actor").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("created_at", "pk"))
        )
        if not sees_internal:
            events = events.filter(is_public=True)
        page = self.paginate_queryset(events)
        serializer = EventSerializer(page, many=True, context=self._event_context())
        return self.get_paginated_response(serializer.data)

    def _event_context(self) -> dict:
        return {**self.get_serializer_context(), "ticket": self.ticket}

    @idempotent
    @extend_schema(
        request=CommentSerializer,
        parameters=[A_TICKET],
        responses={201: EventSerializer},
        examples=[
            OpenApiExample(
                "A reply",
                value={"body": "Restarted the print spooler: please try again.", "internal": False},
                request_only=True,
            )
        ],
        summary="Reply or note",
    )
    @action(detail=True, methods=["post"])
    def comments(self, request, reference: str):
        data = self._valid(CommentSerializer, request.data)
        event = self._reply(body=data["body"], internal=data["internal"], files=[])
        return Response(
            EventSerializer(event, context=self._event_context()).data,
            status=status.HTTP_201_CREATED,
        )

    def _reply(self, *, body: str, internal: bool, files) -> TicketEvent:
        if not selectors.user_may_reply(self.request.user, self.request.membership, self.ticket):
            raise _refuse(_("You may read this ticket but not write on it."))
        works_ticket = self._works_ticket()
        if internal and not works_ticket:
            raise _refuse(_("Only agents can write internal notes."))
        try:
            return attachments.ticket_reply_with_attachments(
                ticket=self.ticket,
                author=self.request.user,
                body=body,
                files=files,
                internal=internal,
                as_agent=works_ticket,
            )
        except ValidationError as error:
            raise exceptions.ValidationError(validation_detail(error)) from None

    @idempotent
    @extend_schema(
        request=TransferSerializer,
        parameters=[A_TICKET],
        responses=TicketSerializer,
        examples=[
            OpenApiExample(
                "To the e-mail service's agency",
                value={"agency": "NICTA", "reason": "Mailboxes are NICTA's."},
                request_only=True,
            )
        ],
        summary="Move to another agency",
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, reference: str):
        self._require_works_ticket()
        data = self._valid(TransferSerializer, request.data)
        to_agency = Agency.objects.filter(code=data["agency"].strip().upper()).first()
        if to_agency is None:
            raise exceptions.ValidationError({"agency": [_("No agency has this code.")]})
        try:
            services.ticket_transfer(
                ticket=self.ticket, to_agency=to_agency, reason=data["reason"], actor=request.user
            )
        except ValidationError as error:
            raise exceptions.ValidationError(
                validation_detail(error, {"to_agency": "agency"})
            ) from None
        # The sending agency keeps reading the ticket: it is still behind the door.
        return self._serialize(self._ticket_for(self.ticket.reference))

    # -- Files ----------------------------------------------------------------------------

    @idempotent
    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        parameters=[A_TICKET],
        responses={201: EventSerializer},
        summary="Attach files, with a reply or note",
    )
    @action(detail=True, methods=["post"], url_path="attachments", parser_classes=[MultiPartParser])
    def attachments(self, request, reference: str):
        data = self._valid(AttachmentUploadSerializer, request.data)
        files = data["file"]
        try:
            checked = attachments.attachments_check(files)
        except ValidationError as error:
            codes = {e.code for e in error.error_list}
            problem = PayloadTooLarge if "too_large" in codes else exceptions.ValidationError
            raise problem({"file": error.messages}) from None
        body = data.get("body", "").strip() or ", ".join(c.name for c in checked)
        event = self._reply(body=body, internal=data["internal"], files=checked)
        return Response(
            EventSerializer(event, context=self._event_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[A_TICKET],
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in DOWNLOAD_TYPES},
        summary="Download a file",
    )
    @action(detail=True, methods=["get"], url_path="attachments/<str:token>")
    def attachment_download(self, request, reference: str, token: str):
        # The web's own download view: the same checks, headers and sandboxing policy.
        return portal.attachment_download(request._request, reference, token)
