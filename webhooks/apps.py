from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from mail.delivery import outbox_channel_register
        from mail.models import Outbox
        from tickets.events import subscribe
        from webhooks.services import WEBHOOK_EVENT_FOR_KIND, webhook_deliver
        from webhooks.subscribers import tell_systems

        # Inline, not on a worker: it only writes the outbox rows (one query when no endpoint
        # listens), and a worker sends them. Only the kinds a system can subscribe to: no
        # pending row for an internal note or a watcher added.
        subscribe("webhooks", tell_systems, kinds=list(WEBHOOK_EVENT_FOR_KIND))
        outbox_channel_register(Outbox.Channel.WEBHOOK, webhook_deliver)
