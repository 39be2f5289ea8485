from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    # The agency that runs a service
    path("incidents/", views.incident_list, name="list"),
    path("incidents/declare/", views.incident_declare, name="declare"),
    path(
        "incidents/proposals/<int:proposal_id>/confirm/",
        views.proposal_confirm,
        name="proposal_confirm",
    ),
    path(
        "incidents/proposals/<int:proposal_id>/dismiss/",
        views.proposal_dismiss,
        name="proposal_dismiss",
    ),
    path("incidents/<str:incident>/attach/", views.incident_attach, name="attach"),
    path("incidents/<str:incident>/detach/", views.incident_detach, name="detach"),
    path("incidents/<str:incident>/article/", views.incident_article, name="article"),
    path("incidents/<str:incident>/resolve/", views.incident_resolve, name="resolve"),
    # Everyone who reports problems
    path("incidents/<str:incident>/affected/", views.incident_affected, name="affected"),
    # The public status page, and the services it lists (platform admins)
    path("status/", views.status_page, name="status"),
    path("status.json", views.status_json, name="status_json"),
    path("status/feed.atom", views.status_feed, name="status_feed"),
    path("status/services/", views.gov_service_list, name="gov_services"),
    path("status/services/new/", views.gov_service_create, name="gov_service_create"),
]
