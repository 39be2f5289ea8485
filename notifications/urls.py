from django.urls import path

from notifications import notice_views

urlpatterns = [
    # A person's notices and how they hear about things.
    path("notices/", notice_views.notice_list, name="notices"),
    path("notices/read/", notice_views.notices_read_all, name="notices_read_all"),
    path("notices/<int:notice_id>/read/", notice_views.notice_read, name="notice_read"),
    path("notices/preferences/", notice_views.preferences, name="notification_preferences"),
]
