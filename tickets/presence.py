"""Who has a ticket open, and who has started replying: a short-lived note in the cache.

The ticket page's script tells the server every 20 seconds or so; an entry older than
`FRESH_SECONDS` is forgotten. Losing the cache loses only this hint, never anything recorded.
Two agents telling at the same instant may overwrite each other's entry until the next beat.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from tickets.models import Ticket

VIEWING, REPLYING = "viewing", "replying"
STATES = (VIEWING, REPLYING)
FRESH_SECONDS = 90
# "has started replying in the last minutes": typing leaves its mark a little longer.
REPLYING_SECONDS = 300


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    state: str
    seen_at: datetime

    @property
    def is_replying(self) -> bool:
        return self.state == REPLYING


def _key(ticket: Ticket) -> str:
    return f"ticket-presence:{ticket.pk}"


def _fresh(entries: dict, now: datetime) -> dict:
    kept = {}
    for user_id, entry in entries.items():
        age = (now - datetime.fromtimestamp(entry["seen"], tz=UTC)).total_seconds()
        replied = entry.get("replied")
        replied_age = (
            (now - datetime.fromtimestamp(replied, tz=UTC)).total_seconds() if replied else None
        )
        if age <= FRESH_SECONDS or (replied_age is not None and replied_age <= REPLYING_SECONDS):
            kept[user_id] = entry
    return kept


def presence_record(*, ticket: Ticket, user: User, state: str, now: datetime | None = None) -> None:
    """Notes that `user` has the ticket open (`viewing`) or is writing on it (`replying`)."""
    if state not in STATES:
        raise ValueError(state)
    now = now or timezone.now()
    entries = _fresh(cache.get(_key(ticket)) or {}, now)
    previous = entries.get(str(user.pk), {})
    entry = {"name": user.get_full_name(), "seen": now.timestamp()}
    replied = now.timestamp() if state == REPLYING else previous.get("replied")
    if replied:
        entry["replied"] = replied
    entries[str(user.pk)] = entry
    cache.set(_key(ticket), entries, timeout=REPLYING_SECONDS)


def presence_of_others(
    *, ticket: Ticket, user: User, now: datetime | None = None
) -> list[Presence]:
    """The colleagues who have the ticket open or replied to it lately, not `user`."""
    now = now or timezone.now()
    result = []
    for user_id, entry in _fresh(cache.get(_key(ticket)) or {}, now).items():
        if user_id == str(user.pk):
            continue
        replied = entry.get("replied")
        replying = bool(replied) and now.timestamp() - replied <= REPLYING_SECONDS
        result.append(
            Presence(
                user_id=int(user_id),
                name=entry["name"],
                state=REPLYING if replying else VIEWING,
                seen_at=datetime.fromtimestamp(replied if replying else entry["seen"], tz=UTC),
            )
        )
    return sorted(result, key=lambda p: (not p.is_replying, p.name))
