from django import template

from core.masking import secrets_mask

register = template.Library()


@register.filter
def mask_secrets(text: str, reveal=False) -> str:
    """`{{ body|mask_secrets:works_ticket|render_body }}`: the text as written for the
    handling agents, with secrets hidden for everyone else."""
    return text if reveal else secrets_mask(text)
