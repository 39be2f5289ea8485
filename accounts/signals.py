from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from accounts.services import user_join_by_email_domain


@receiver(user_signed_up, dispatch_uid="accounts.join_by_email_domain")
def join_agency_of_email_domain(sender, request, user, **kwargs) -> None:
    # Covers both the sign-up form and a first sign-in through single sign-on.
    user_join_by_email_domain(user=user)
