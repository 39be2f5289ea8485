"""Rate limits per phone number, counted in the shared cache (Redis) in fixed windows."""

from django.core.cache import cache
from django.utils import timezone

WINDOW_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def rate_allow(kind: str, key: str, rate: str) -> bool:
    """Counts one more `kind` event for `key`; False once the window's count passes `rate`
    (such as "10/hour")."""
    count, _slash, unit = rate.partition("/")
    window = WINDOW_SECONDS[unit]
    start = int(timezone.now().timestamp()) // window
    cache_key = f"channels:rate:{kind}:{key}:{start}"
    cache.add(cache_key, 0, timeout=window + 5)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this event starts the window
        cache.set(cache_key, 1, timeout=window + 5)
        used = 1
    return used <= int(count)
