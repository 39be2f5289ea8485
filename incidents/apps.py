from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Major incidents")

    def ready(self) -> None:
        from incidents.subscribers import attach_new_tickets
        from tickets.events import subscribe
        from tickets.models import TicketEvent

        subscribe("incidents", attach_new_tickets, kinds=[TicketEvent.Kind.CREATED])
