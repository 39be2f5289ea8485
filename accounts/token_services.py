"""API tokens: made, found and revoked here only. The key leaves GovDesk once, when made."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken, User
from core.audit import audit_record

KEY_PREFIX_LENGTH = 8
NAME_MAX_LENGTH = 100
# last_used_at is written at most this often per token: an API client polling every second
# should not turn every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: datetime | None = None, actor: User | None = None
) -> tuple[ApiToken, str]:
    """Makes a token for `user`; returns it and its key, which is never readable again."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the token a name, such as the system using it.")})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            {"name": _("Use at most %(count)d characters.") % {"count": NAME_MAX_LENGTH}}
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("Choose a time in the future.")})
    # 32 random bytes: 256 bits, far beyond guessing, so the unsalted digest is safe to keep.
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:KEY_PREFIX_LENGTH],
        key_digest=token_digest(key),
        expires_at=expires_at,
    )
    audit_record(
        actor=actor or user,
        action="api_token.created",
        target=token,
        owner=user.email,
        expires_at=expires_at.isoformat() if expires_at else None,
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> bool:
    """Revokes the token at once; False if it was revoked already."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(actor=actor, action="api_token.revoked", target=token, owner=token.user.email)
    return bool(revoked)


def api_token_authenticate(key: str) -> ApiToken | None:
    """The usable token with this key, its user fetched along; None for any other key."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_digest=token_digest(key), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        # No lock and no transaction: concurrent requests may both write, and either value
        # is right to the minute.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
