from django.urls import path

from webhooks import views as webhook_views

urlpatterns = []

# Webhooks: an agency's endpoints and their delivery log, for its agency admins.
urlpatterns += [
    path("agencies/<str:code>/webhooks/", webhook_views.webhook_list, name="webhook_list"),
    path(
        "agencies/<str:code>/webhooks/<int:webhook_id>/",
        webhook_views.webhook_detail,
        name="webhook_detail",
    ),
    path(
        "agencies/<str:code>/webhooks/<int:webhook_id>/delete/",
        webhook_views.webhook_delete_view,
        name="webhook_delete",
    ),
]
