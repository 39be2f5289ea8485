"""python manage.py create_api_token EMAIL [--name NAME] [--expires-days N]

Prints the new key alone on the last line, so that a script can take it with `tail -n 1`.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from accounts.token_services import api_token_create


class Command(BaseCommand):
    help = "Makes an API token for a person and prints its key, once."

    def add_arguments(self, parser):
        parser.add_argument("email", help="The e-mail address of the token's owner.")
        parser.add_argument("--name", default="Command line", help="What the token is for.")
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until it expires (default never)."
        )

    def handle(self, *args, email: str, name: str, expires_days: int | None, **options):
        user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
        if user is None:
            raise CommandError(f"No active person has the address {email}.")
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            token, key = api_token_create(user=user, name=name, expires_at=expires_at)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Token {token.name!r} for {user.email} (shown once, keep it safe):")
        self.stdout.write(key)
