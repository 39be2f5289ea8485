"""Requests per token (or per signed-in session), counted in Redis through Django's cache."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """API_THROTTLE_RATE per token: two tokens of one person count apart, so one runaway
    script does not stop the person's others. A 429 carries Retry-After."""

    scope = "token"

    def get_rate(self) -> str:
        # Read per request, not once at import as DRF's own throttles do.
        return settings.GOVDESK_API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
