from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("help/", views.help_index, name="index"),
    path("help/suggest/", views.intake_suggestions, name="suggest"),
    path("help/check/", views.intake_check, name="check"),
    path("help/manage/", views.article_manage, name="manage"),
    path("help/manage/new/", views.article_new, name="article_new"),
    path("help/from-ticket/<str:reference>/", views.article_from_ticket, name="from_ticket"),
    path("help/<slug:article>/", views.article_detail, name="article"),
    path("help/<slug:article>/solved/", views.article_solved, name="solved"),
    path("help/<slug:article>/feedback/", views.article_feedback, name="feedback"),
    path("help/<slug:article>/edit/", views.article_edit, name="article_edit"),
    path("help/<slug:article>/status/", views.article_status, name="article_status"),
    path("help/<slug:article>/reviewed/", views.article_reviewed, name="article_reviewed"),
    path("help/<slug:article>/history/", views.article_history, name="article_history"),
]
