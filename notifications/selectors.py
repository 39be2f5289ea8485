"""Reads of a person's notices and notification preferences, always given the person."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from notifications.models import MANDATORY_KINDS, Kind, Notice, Preference

# The header counts this many unread notices at most and shows "99+" beyond: the count stays
# one short index scan however many notices someone leaves unread.
UNREAD_COUNT_LIMIT = 100


def notices_for_user(user: User) -> QuerySet[Notice]:
    """The person's notices, newest first, each with its ticket's reference for the link."""
    return (
        Notice.objects.filter(user=user)
        .select_related("ticket")
        # The ticket's reference only: its description can be long and a page lists 25.
        .only("kind", "text", "created_at", "read_at", "ticket", "ticket__reference")
        .order_by("-created_at", "-id")
    )


def notice_get_for_user(user: User, notice_id: int) -> Notice:
    """The person's own notice; 404 for missing and someone else's alike."""
    notice = Notice.objects.filter(user=user, pk=notice_id).first()
    if notice is None:
        raise Http404
    return notice


def notices_unread_count(user: User) -> int:
    """Unread notices, up to UNREAD_COUNT_LIMIT: one query on the notice_inbox index."""
    unread = Notice.objects.filter(user=user, read_at__isnull=True).order_by()
    return unread[:UNREAD_COUNT_LIMIT].count()


def preferences_for_user(user: User) -> dict[str, str]:
    """The person's mode for every kind they may choose for; unchosen kinds come straight away."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "mode"))
    return {
        kind.value: chosen.get(kind.value, Preference.Mode.IMMEDIATE.value)
        for kind in Kind
        if kind not in MANDATORY_KINDS
    }
