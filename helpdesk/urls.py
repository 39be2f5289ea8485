from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from core import health
from helpdesk import metrics, views

admin.site.site_header = "GovDesk"
# The admin's own login would skip allauth's rate limits and MFA: send it through allauth.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", health.health, name="health"),
    path("metrics", metrics.metrics, name="metrics"),
    path("language/", views.language_switch, name="language_switch"),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("", include("agencies.urls")),
    path("", include("service_levels.urls")),
    path("", include("tickets.urls")),
    path("", include("knowledge.urls")),
    path("", include("satisfaction.urls")),
    path("", include("workspace.urls")),
    path("", include("notifications.urls")),
    path("", include("mail.urls")),
    path("", include("webhooks.urls")),
    path("api/v1/", include("helpdesk.api")),
    path("", include("reports.urls")),
    path("", include("incidents.urls")),
    path("", include("channels.urls")),
    path("", include("privacy.urls")),
    path("django-admin/", admin.site.urls),
]
