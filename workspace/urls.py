from django.urls import path

from workspace import views

app_name = "workspace"

urlpatterns = [
    path("workspace/views/", views.saved_view_list, name="saved_views"),
    path(
        "workspace/views/<int:view_id>/delete/", views.saved_view_delete, name="saved_view_delete"
    ),
    path("workspace/library/", views.response_list, name="library"),
    path("workspace/responses/new/", views.response_edit, name="response_create"),
    path("workspace/responses/<int:response_id>/", views.response_edit, name="response_edit"),
    path("workspace/macros/new/", views.macro_edit, name="macro_create"),
    path("workspace/macros/<int:macro_id>/", views.macro_edit, name="macro_edit"),
    path(
        "workspace/responses/<int:response_id>/delete/",
        views.library_item_delete,
        {"kind": "response"},
        name="response_delete",
    ),
    path(
        "workspace/macros/<int:macro_id>/delete/",
        views.library_item_delete,
        {"kind": "macro"},
        name="macro_delete",
    ),
    path(
        "tickets/<str:reference>/responses/insert/",
        views.response_insert,
        name="response_insert",
    ),
    path("tickets/<str:reference>/macros/apply/", views.macro_apply, name="macro_apply"),
]
