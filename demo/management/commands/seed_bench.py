"""Builds the benchmark's government: `manage.py seed_bench --tickets N [--seed S] [--reset]`.

The work is in bench/seeding.py; this command checks its input and the database first, so a
mistake is one clear line and a non-zero exit, with nothing changed.
"""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection

from bench import seeding


class Command(BaseCommand):
    help = (
        "Builds a benchmark government on an empty database: 60 agencies, 1,500 agents, "
        "60,000 requesters and N tickets over three years. Never on a database you keep."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets", type=int, required=True, help="How many tickets (1 or more)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Empty every table of this database first (all its data is lost).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="Processes that play the tickets' stories (default 2; 1 runs in this one).",
        )

    def handle(self, *args, tickets: int, seed: int, reset: bool, workers: int, **options):
        if tickets < 1:
            raise CommandError(f"--tickets must be 1 or more, got {tickets}.")
        if workers < 1:
            raise CommandError(f"--workers must be 1 or more, got {workers}.")
        try:
            connection.ensure_connection()
        except OperationalError as error:
            settings_dict = connection.settings_dict
            where = f"{settings_dict['HOST'] or 'localhost'}:{settings_dict['PORT'] or 5432}"
            reason = str(error).strip().splitlines()[-1] if str(error).strip() else "no answer"
            raise CommandError(
                f"Cannot reach PostgreSQL at {where}, database {settings_dict['NAME']!r}: {reason}"
            ) from None
        if not seeding.database_is_empty():
            if not reset:
                raise CommandError(
                    f"Database {connection.settings_dict['NAME']!r} already holds agencies, "
                    "people or tickets; nothing was changed. Use --reset to empty it first "
                    "(everything in it is lost), or point DATABASE_URL at another database."
                )
            started = time.monotonic()
            seeding.forget_seed()
            call_command("flush", interactive=False, verbosity=0)
            self._progress(f"database emptied in {time.monotonic() - started:.0f} s")
        result = seeding.seed(
            tickets=tickets, seed_value=seed, workers=workers, progress=self._progress
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.tickets:,} tickets and {result.events:,} events "
                f"in {result.seconds:.0f} s (seed {seed})."
            )
        )

    def _progress(self, message: str) -> None:
        self.stdout.write(f"seed_bench: {message}")
        self.stdout.flush()
