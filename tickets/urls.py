from django.urls import path

from tickets.views import agent, categories, portal, previews

urlpatterns = [
    # Requesters (and everyone who opens a ticket)
    path("tickets/new/", portal.ticket_new, name="ticket_new"),
    path("tickets/", portal.my_tickets, name="my_tickets"),
    path("tickets/<str:reference>/", portal.ticket_detail, name="ticket_detail"),
    path("tickets/<str:reference>/reply/", portal.ticket_reply, name="ticket_reply"),
    path("tickets/<str:reference>/close/", portal.ticket_close, name="ticket_close"),
    path("tickets/<str:reference>/reopen/", portal.ticket_reopen, name="ticket_reopen"),
    path("tickets/<str:reference>/watchers/", portal.ticket_watch, name="ticket_watch"),
    path(
        "tickets/<str:reference>/attachments/<str:token>/",
        portal.attachment_download,
        name="attachment_download",
    ),
    path(
        "tickets/<str:reference>/attachments/<str:token>/preview/",
        previews.attachment_preview,
        name="attachment_preview",
    ),
    # Agents
    path("queue/", agent.queue, name="queue"),
    path("queue/bulk/", agent.queue_bulk, name="queue_bulk"),
    path("queue/log-call/", agent.log_call, name="log_call"),
    path("tickets/<str:reference>/update/", agent.ticket_update, name="ticket_update"),
    path("tickets/<str:reference>/take/", agent.ticket_take, name="ticket_take"),
    path("tickets/<str:reference>/presence/", agent.ticket_presence, name="ticket_presence"),
    path("tickets/<str:reference>/transfer/", agent.ticket_transfer, name="ticket_transfer"),
    path("tickets/<str:reference>/merge/", agent.ticket_merge, name="ticket_merge"),
    path("tickets/<str:reference>/link/", agent.ticket_link, name="ticket_link"),
    # The service catalogue
    path("categories/", categories.category_list, name="category_list"),
    path("categories/new/", categories.category_create, name="category_create"),
    path("categories/<slug:slug>/", categories.category_edit, name="category_edit"),
]
