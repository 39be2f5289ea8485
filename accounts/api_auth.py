"""Who is calling the API, and as which of their roles.

`Authorization: Token <key>` finds a token by the digest of its key (accounts.token_services);
the browser's session works too, with DRF's CSRF check. A person may hold several roles:
a session acts as the role chosen in the page header; a token acts with its owner's strongest
role, or with their role in the agency named by the `X-GovDesk-Agency` header.
"""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.models import Membership
from accounts.permissions import memberships_strongest_first
from accounts.selectors import memberships_usable_by
from accounts.token_services import api_token_authenticate

AGENCY_HEADER = "X-GovDesk-Agency"


class TokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Give the token after the word Token, with one space between.")
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This token is not valid.")) from None
        token = api_token_authenticate(key)
        if token is None:
            # Unknown, expired, revoked or its owner deactivated: one answer for all.
            raise exceptions.AuthenticationFailed(
                _("This token is not valid: it may have expired or been revoked.")
            )
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api_auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _("`Token <key>`, made on your profile's API tokens page."),
        }


def acting_membership(request) -> Membership | None:
    """The membership this API request acts under (see the module's docstring)."""
    wanted = request.headers.get(AGENCY_HEADER, "").strip().upper()
    session_choice = getattr(request._request, "membership", None)
    if not wanted and request.auth is None and session_choice is not None:
        return session_choice
    memberships = list(memberships_usable_by(request.user))
    if wanted:
        chosen = next((m for m in memberships if m.agency and m.agency.code == wanted), None)
        if chosen is None:
            raise exceptions.ValidationError(
                {AGENCY_HEADER: [_("You have no role in an agency with this code.")]}
            )
        return chosen
    # A token with no agency header acts with its owner's strongest role.
    strongest = memberships_strongest_first(memberships)
    return strongest[0] if strongest else None
