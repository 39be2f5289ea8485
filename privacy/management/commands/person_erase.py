from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from privacy.services import DataProtectionError, person_erase


class Command(BaseCommand):
    help = (
        "Erases a person: their name, e-mail address, phone numbers and the text they wrote "
        "are pseudonymised everywhere, their files deleted and their account closed."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The person's e-mail address.")
        parser.add_argument("--reason", required=True, help="Why: the request it answers.")
        parser.add_argument(
            "--yes", action="store_true", help="Confirm: the erasure cannot be undone."
        )

    def handle(self, *args, email: str, reason: str, yes: bool, **options):
        person = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if person is None:
            raise CommandError(f"Nobody has the e-mail address {email!r}: nothing was changed.")
        if not yes:
            raise CommandError("An erasure cannot be undone: add --yes to confirm it.")
        try:
            erasure = person_erase(person=person, actor=None, reason=reason)
        except DataProtectionError as error:
            raise CommandError(f"{error} Nothing was changed.") from None
        self.stdout.write(f"Erased user {person.pk} (erasure {erasure.pk}).")
