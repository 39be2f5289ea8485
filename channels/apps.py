from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    verbose_name = _("SMS and USSD")

    def ready(self) -> None:
        from channels.outbound import sms_deliver
        from channels.subscribers import tell_phones
        from mail.delivery import outbox_channel_register
        from mail.models import Outbox
        from tickets.events import subscribe
        from tickets.models import TicketEvent

        subscribe("channels", tell_phones, kinds=[TicketEvent.Kind.REPLY, TicketEvent.Kind.STATUS])
        outbox_channel_register(Outbox.Channel.SMS, sms_deliver)
