from django import forms
from django.core.exceptions import ValidationError


def form_add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Shows a service's refusal on the form: on its field when it names one, else on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)
