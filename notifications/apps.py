from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from core.pending_work import Run
        from notifications.recipients import TEAM_SHARE_EVENTS
        from notifications.subscribers import tell_people, tell_team
        from tickets.events import subscribe

        subscribe("notifications", tell_people)
        subscribe("notifications_team", tell_team, run=Run.TASK, kinds=TEAM_SHARE_EVENTS)
