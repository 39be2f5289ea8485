from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # The dispatcher's pending-work topics exist in every process that drains them.
        from tickets import events, sla_recompute  # noqa: F401
