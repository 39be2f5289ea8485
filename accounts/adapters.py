from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.services import email_may_sign_up


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.GOVDESK_ALLOW_SIGNUP

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email).lower()
        if not email_may_sign_up(email):
            raise ValidationError(
                _(
                    "Use your government e-mail address: %(domain)s is not the domain of any "
                    "agency on GovDesk."
                )
                % {"domain": email.rpartition("@")[2]}
            )
        return email

    def is_safe_url(self, url: str) -> bool:
        safe = super().is_safe_url(url)
        request = context.request
        # Said once, on the sign-in itself: the link was ignored, not followed.
        if not safe and request.method == "POST" and not getattr(request, "_next_refused", False):
            request._next_refused = True
            messages.warning(
                request,
                _("The link you followed led outside GovDesk, so it was not opened."),
            )
        return safe


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        # The identity provider vouches for the person, not for their agency: the same
        # domain rule applies as on the sign-up form.
        email = sociallogin.user.email or ""
        return settings.GOVDESK_ALLOW_SIGNUP and email_may_sign_up(email)


class MFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator) -> bool:
        # Someone whose role requires MFA may not switch it off; they may still replace it.
        if not settings.GOVDESK_REQUIRE_MFA_FOR_STAFF:
            return True
        from accounts.selectors import user_requires_mfa

        return not user_requires_mfa(authenticator.user)
