from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("privacy/", views.access_log, name="access_log"),
    path("privacy/access-log.csv", views.access_log_export, name="access_log_export"),
    path("privacy/people/", views.person_find, name="person_find"),
    path("privacy/people/<int:person_id>/", views.person, name="person"),
    path("privacy/people/<int:person_id>/export.zip", views.person_export, name="person_export"),
    path("privacy/people/<int:person_id>/erase/", views.person_erase, name="person_erase"),
    path("privacy/people/<int:person_id>/hold/", views.person_hold, name="person_hold"),
    path("privacy/holds/<int:hold_id>/release/", views.hold_release, name="hold_release"),
    path("privacy/retention/<str:code>/", views.retention, name="retention"),
    path("profile/my-data.zip", views.my_data_export, name="my_data_export"),
    path(
        "tickets/<str:reference>/messages/<int:event_id>/redact/",
        views.message_redact,
        name="message_redact",
    ),
]
