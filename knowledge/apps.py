from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from knowledge.subscribers import count_article_answers
        from tickets.events import subscribe
        from tickets.models import TicketEvent

        subscribe("knowledge", count_article_answers, kinds=[TicketEvent.Kind.REPLY])
