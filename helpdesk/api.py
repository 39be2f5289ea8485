"""The REST API v1 router: every app's endpoints under /api/v1/, its schema and its docs.

Routes use path converters (not regular expressions), so that tests/test_tenancy.py walks
them like every other route with an id.
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from accounts.api import MeView
from agencies.api import AgencyViewSet
from knowledge.api import ArticleViewSet
from satisfaction.api import TicketSatisfactionView
from tickets.api import CategoryViewSet, TicketViewSet
from workspace.api import CannedResponseViewSet, SavedViewViewSet, TimeEntryViewSet


class SchemaView(SpectacularAPIView):
    """The published contract: readable without signing in."""

    permission_classes = [AllowAny]


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from GovDesk's own static files; its script comes from this same address
    (?script), and its one style element carries the request's nonce: no inline script."""

    permission_classes = [AllowAny]
    template_name = "helpdesk/api_docs.html"
    url_name = "api-schema"


router = SimpleRouter(use_regex_path=False)
router.register("agencies", AgencyViewSet, basename="api-agency")
router.register("categories", CategoryViewSet, basename="api-category")
router.register("tickets", TicketViewSet, basename="api-ticket")
router.register("articles", ArticleViewSet, basename="api-article")
router.register("views", SavedViewViewSet, basename="api-view")
router.register("responses", CannedResponseViewSet, basename="api-response")

urlpatterns = [
    path("me/", MeView.as_view(), name="api-me"),
    path(
        "tickets/<str:reference>/time-entries/",
        TimeEntryViewSet.as_view({"get": "list", "post": "create"}),
        name="api-ticket-time-entries",
    ),
    path(
        "tickets/<str:reference>/satisfaction/",
        TicketSatisfactionView.as_view(),
        name="api-ticket-satisfaction",
    ),
    *router.urls,
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", DocsView.as_view(), name="api-docs"),
]
