from django.urls import path

from mail import outbox_views
from mail import views as inbound_views

urlpatterns = [
    # The outbox, for platform admins.
    path("outbox/", outbox_views.outbox_list, name="outbox_list"),
    path("outbox/<int:outbox_id>/retry/", outbox_views.outbox_retry_view, name="outbox_retry"),
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
