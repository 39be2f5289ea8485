from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from mail.delivery import outbox_channel_register
        from mail.models import Outbox
        from tickets.events import subscribe
        from webhooks.services import webhook_deliver
        from webhooks.subscribers import tell_systems

        subscribe("webhooks", tell_systems)
        outbox_channel_register(Outbox.Channel.WEBHOOK, webhook_deliver)
