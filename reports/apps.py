from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from core.pending_work import Run
        from reports.services import SUBSCRIBER, rollups_refresh_for_events
        from tickets.events import subscribe

        # Facts are recomputed by a worker: nobody waits for them.
        subscribe(SUBSCRIBER, rollups_refresh_for_events, run=Run.TASK)
