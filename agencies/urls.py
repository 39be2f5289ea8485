from django.urls import path

from agencies import views

urlpatterns = [
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/new/", views.agency_create, name="agency_create"),
    path("agencies/<str:code>/", views.agency_edit, name="agency_edit"),
    path("agencies/<str:code>/settings/", views.agency_settings, name="agency_settings"),
    path("agencies/<str:code>/teams/", views.team_list, name="team_list"),
    path("agencies/<str:code>/teams/new/", views.team_create, name="team_create"),
    path("agencies/<str:code>/teams/<int:team_id>/", views.team_edit, name="team_edit"),
    path("agencies/<str:code>/members/", views.member_list, name="member_list"),
    path(
        "agencies/<str:code>/members/<int:membership_id>/",
        views.member_change,
        name="member_change",
    ),
]
