from django.urls import path

from notifications import inbound_views, notice_views, outbox_views, webhook_views

urlpatterns = [
    # The outbox, for platform admins.
    path("outbox/", outbox_views.outbox_list, name="outbox_list"),
    path("outbox/<int:outbox_id>/retry/", outbox_views.outbox_retry_view, name="outbox_retry"),
    # A person's notices and how they hear about things.
    path("notices/", notice_views.notice_list, name="notices"),
    path("notices/read/", notice_views.notices_read_all, name="notices_read_all"),
    path("notices/<int:notice_id>/read/", notice_views.notice_read, name="notice_read"),
    path("notices/preferences/", notice_views.preferences, name="notification_preferences"),
]

# Mail in: quarantined e-mail, for agency and platform admins.
urlpatterns += [
    path("inbound/", inbound_views.quarantine_list, name="inbound_quarantine"),
    path("inbound/<int:message_id>/", inbound_views.quarantine_detail, name="inbound_message"),
    path("inbound/<int:message_id>/raw/", inbound_views.quarantine_raw, name="inbound_raw"),
    path(
        "inbound/<int:message_id>/release/",
        inbound_views.quarantine_release,
        name="inbound_release",
    ),
    path(
        "inbound/<int:message_id>/discard/",
        inbound_views.quarantine_discard,
        name="inbound_discard",
    ),
]

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
