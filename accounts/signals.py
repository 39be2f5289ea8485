from allauth.account.signals import user_signed_up
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation

from accounts.services import user_join_by_email_domain, user_language_at_sign_in


@receiver(user_signed_up, dispatch_uid="accounts.join_by_email_domain")
def join_agency_of_email_domain(sender, request, user, **kwargs) -> None:
    # Covers both the sign-up form and a first sign-in through single sign-on.
    user_join_by_email_domain(user=user)


@receiver(user_logged_in, dispatch_uid="accounts.keep_language_at_sign_in")
def keep_language_at_sign_in(sender, request, user, **kwargs) -> None:
    # Activated at once, so that the "signed in" message of this very request is written in
    # the language of the page that follows it.
    if request is None:
        return
    language = user_language_at_sign_in(
        user=user,
        chosen_on_browser=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
        browser=translation.get_language_from_request(request),
    )
    translation.activate(language)
    request.LANGUAGE_CODE = language
