from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports.services import rollups_rebuild_range

# Longer ranges are fine for the command; this only catches a mistyped year.
MAX_DAYS = 50 * 366


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date such as 2026-01-31") from None


class Command(BaseCommand):
    help = "Recomputes the report facts and daily rollups of every day in a range."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")

    def handle(self, *args, start, end, **options):
        start, end = _date(start), _date(end)
        if start > end:
            raise CommandError("--from must not be after --to")
        if (end - start).days > MAX_DAYS:
            raise CommandError("That range is longer than fifty years")
        drifted = rollups_rebuild_range(start=start, end=end)
        self.stdout.write(f"Rebuilt {start} to {end}; {len(drifted)} agency days had drifted.")
