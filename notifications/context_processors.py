from functools import cache

from notifications.selectors import notices_unread_count


def notices(request) -> dict:
    """`unread_notices_count` for the header, counted only if a template reads it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    # Templates call a callable they are given; cache() makes every later read free.
    @cache
    def unread_notices_count() -> int:
        return notices_unread_count(user)

    return {"unread_notices_count": unread_notices_count}
