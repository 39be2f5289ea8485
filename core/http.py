"""Small helpers every app's views share."""

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, *, default: str) -> str:
    """The `next` the form posted, if it stays on this site; else the default URL name."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse(default)
