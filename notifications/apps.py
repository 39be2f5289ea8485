from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Mail in keeps its admin apart from notifications/admin.py.
        from notifications import inbound_admin  # noqa: F401
        from notifications.subscribers import tell_people, tell_systems
        from tickets.events import subscribe

        subscribe("notifications", tell_people)
        subscribe("webhooks", tell_systems)
