from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.audit import audit_record
from privacy.subject_access import person_export_archive


class Command(BaseCommand):
    help = "Writes everything GovDesk holds about a person to a zip of JSON and CSV files."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The person's e-mail address.")
        parser.add_argument("--output", required=True, help="The zip file to write.")

    def handle(self, *args, email: str, output: str, **options):
        person = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if person is None:
            raise CommandError(f"Nobody has the e-mail address {email!r}: nothing was written.")
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"The folder {str(path.parent)!r} does not exist.")
        path.write_bytes(person_export_archive(person))
        audit_record(actor=None, action="privacy.person_exported", target=f"user {person.pk}")
        self.stdout.write(f"Wrote {path}")
