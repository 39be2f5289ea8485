"""Writes of in-app notices, notification preferences and daily digests."""

import logging
from collections.abc import Mapping
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from mail.models import Outbox
from mail.services import outbox_queue_delivery
from notifications.digest import (
    digest_dedupe_key,
    digest_notices_pending,
    digest_render,
    digest_users_due,
)
from notifications.models import MANDATORY_KINDS, Kind, Notice, Preference

logger = logging.getLogger(__name__)


# -- Notices --------------------------------------------------------------------------------


def notice_mark_read(*, notice: Notice) -> bool:
    """Marks one notice read; a notice read before keeps the moment it was first read."""
    return (
        Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=timezone.now())
        == 1
    )


def notices_mark_all_read(*, user: User) -> int:
    """Marks every unread notice of the person read; returns how many."""
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# -- Preferences ----------------------------------------------------------------------------


@transaction.atomic
def preferences_save(*, user: User, modes: Mapping[str, str]) -> None:
    """Saves the person's mode for each kind given; refuses the lot if any pair is unknown.

    Mandatory kinds are refused too: they always come straight away (see MANDATORY_KINDS).
    """
    errors = {}
    for kind, mode in modes.items():
        if kind not in Kind.values or kind in MANDATORY_KINDS:
            errors[kind] = _("You cannot choose how you hear about this.")
        elif mode not in Preference.Mode.values:
            errors[kind] = _("Choose straight away, in a daily summary or never.")
    if errors:
        raise ValidationError(errors)
    Preference.objects.bulk_create(
        [Preference(user=user, kind=kind, mode=mode) for kind, mode in modes.items()],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["mode"],
    )


# -- Daily digests --------------------------------------------------------------------------


class _DigestTaken(Exception):
    """Another run cleared some of these notices first; this one sends nothing."""


def digests_send_all(*, day: date) -> int:
    """Sends the day's digest to everyone with notices waiting; returns how many were written."""
    written = 0
    for user in digest_users_due().iterator(chunk_size=500):
        written += digest_send(user=user, day=day) is not None
    return written


def digest_send(*, user: User, day: date) -> Outbox | None:
    """The person's digest for `day`, or None if there is nothing (more) to send that day.

    Notices that arrive after the day's digest was written wait for the next day's.
    """
    try:
        return _digest_write(user=user, day=day)
    except _DigestTaken:
        return None
    except IntegrityError:
        # The dedupe_key: a concurrent run wrote this day's digest first. Ours rolled back.
        logger.info("Digest for user %s on %s written by another run", user.pk, day)
        return None


@transaction.atomic
def _digest_write(*, user: User, day: date) -> Outbox | None:
    """1. Nothing if the day's digest is written already or no notice waits.
    2. Clears digest_pending on exactly the notices listed, compare-and-set on their ids;
       if another run cleared any of them first, everything here rolls back.
    3. Writes the e-mail to the outbox, unique per person and day, and queues its delivery
       once the transaction commits.
    """
    dedupe_key = digest_dedupe_key(user, day)
    if Outbox.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    notices = digest_notices_pending(user)
    if not notices:
        return None
    ids = [notice.pk for notice in notices]
    cleared = Notice.objects.filter(pk__in=ids, digest_pending=True).update(digest_pending=False)
    if cleared != len(ids):
        raise _DigestTaken
    message = digest_render(user=user, notices=notices, day=day)
    message_id = f"<digest-{user.pk}-{day.isoformat()}@{settings.GOVDESK_MAIL_DOMAIN}>"
    now = timezone.now()
    outbox = Outbox.objects.create(
        channel=Outbox.Channel.EMAIL,
        recipient=user,
        to_address=user.email,
        subject=message.subject[:300],
        body_text=message.body_text,
        body_html=message.body_html,
        headers={
            "Message-ID": message_id,
            # As for ticket e-mail: no out-of-office reply comes back for a summary.
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "OOF, AutoReply",
            "Content-Language": user.language,
        },
        message_id=message_id,
        dedupe_key=dedupe_key,
        created_at=now,
        next_attempt_at=now,
    )
    transaction.on_commit(lambda: outbox_queue_delivery(outbox.pk))
    return outbox
