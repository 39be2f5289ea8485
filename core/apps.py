from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "GovDesk"

    def ready(self) -> None:
        import structlog

        # The request id follows a request into the tasks it queues (web and worker alike).
        from core import log_context  # noqa: F401

        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.stdlib.add_log_level,
                structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
            ],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )
