"""Secrets GovDesk must read back (mailbox passwords, webhook signing secrets), stored
encrypted in the database with one key."""

from django.conf import settings


class StoredSecretUnreadable(Exception):
    """A stored secret was encrypted with a key GovDesk no longer has."""


def secret_seal(value: str) -> str:
    return stored_secret_fernet().encrypt(value.encode()).decode()


def secret_open(token: str, *, unreadable: StoredSecretUnreadable) -> str:
    """The secret in clear; `unreadable`, which says what to do about it, when the key that
    sealed it is gone."""
    from cryptography.fernet import InvalidToken

    try:
        return stored_secret_fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise unreadable from None


def stored_secret_fernet():
    """Encrypts with INBOUND_MAIL_KEY (else a key derived from SECRET_KEY); decrypts with that
    and the keys of SECRET_KEY_FALLBACKS, so a rotated SECRET_KEY does not lose passwords."""
    import base64

    from cryptography.fernet import Fernet, MultiFernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def derived(secret: str) -> Fernet:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"govdesk.notifications.InboundMailbox",
            info=b"imap password",
        ).derive(secret.encode())
        return Fernet(base64.urlsafe_b64encode(key))

    keys = [Fernet(settings.INBOUND_MAIL_KEY)] if settings.INBOUND_MAIL_KEY else []
    keys += [derived(secret) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]
    return MultiFernet(keys)
