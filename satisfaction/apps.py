from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    name = "satisfaction"
    verbose_name = _("Satisfaction")

    def ready(self) -> None:
        from satisfaction.subscribers import ask_on_resolution
        from tickets.events import subscribe
        from tickets.models import TicketEvent

        subscribe("satisfaction", ask_on_resolution, kinds=[TicketEvent.Kind.STATUS])
