from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from channels.services import phone_add, phone_set_confirmed


class Command(BaseCommand):
    help = (
        "Sets a person's mobile number: confirmed at once with --confirmed, else a code is "
        "sent by SMS for them to enter on their profile."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")
        parser.add_argument("number", help="In international format, such as +254711000000.")
        parser.add_argument("--confirmed", action="store_true")

    def handle(self, *args, email: str, number: str, confirmed: bool, **options) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No person has the e-mail address {email}.")
        try:
            if confirmed:
                phone = phone_set_confirmed(user=user, number=number, actor=None)
            else:
                phone = phone_add(user=user, number=number)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        state = "confirmed" if phone.is_confirmed else "waiting for the code sent by SMS"
        self.stdout.write(f"{user.email}: {phone.number}, {state}.")
