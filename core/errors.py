"""Errors that every app's services may raise and every interface answers the same way."""

from django.core.exceptions import ValidationError


class StaleObject(ValidationError):
    """Someone else changed the object since the person read it: nothing was saved. The API
    answers 409, a page shows the message."""
