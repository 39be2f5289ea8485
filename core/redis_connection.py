"""Connections to Redis, whether it is one address (`REDIS_URL`) or found through Sentinel.

With `REDIS_SENTINELS` and `REDIS_SENTINEL_MASTER` set, every connection asks the Sentinels
which server is the master, and asks again after a connection to it fails: a failover costs
the commands in flight at that moment, never a restart. The cache uses `SentinelMasterPool`
(Django's RedisCache takes a pool class), the broker kombu's `sentinel://` transport, and
everything else (`/healthz`, `/metrics`, the access log) `redis_client()`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import redis
from django.conf import settings
from redis.sentinel import Sentinel, SentinelConnectionPool


def parse_sentinels(raw: str, *, name: str = "REDIS_SENTINELS") -> list[tuple[str, int]]:
    """`host:port,host:port` into pairs; a ValueError names what is wrong with which item."""
    sentinels = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(
                f"{name} must list Sentinels as host:port,host:port (such as "
                f"10.0.0.5:26379,10.0.0.6:26379), got {item!r}"
            )
        sentinels.append((host.strip("[]"), int(port)))
    if not sentinels:
        raise ValueError(f"{name} must name at least one Sentinel as host:port")
    return sentinels


def sentinel_manager(sentinels, *, timeout: float | None = None) -> Sentinel:
    options = {"socket_connect_timeout": timeout, "socket_timeout": timeout} if timeout else {}
    return Sentinel(sentinels, sentinel_kwargs=dict(options), **options)


class SentinelMasterPool(SentinelConnectionPool):
    """A pool of connections to whichever server the Sentinels call the master.

    Django's RedisCache builds its pool with `pool_class.from_url(location, **OPTIONS)`; the
    location is `sentinel://<master name>/<db>` and OPTIONS carry the Sentinels.
    """

    @classmethod
    def from_url(cls, url: str, *, sentinels, socket_timeout: float = 5, **options):
        parts = urlsplit(url)
        db = int(parts.path.strip("/") or 0)
        manager = sentinel_manager(sentinels, timeout=socket_timeout)
        return cls(
            parts.hostname or parts.netloc,
            manager,
            db=db,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            **options,
        )


def redis_client(*, timeout: float = 2) -> redis.Redis:
    """A client of the broker's Redis (the master, through Sentinel when configured)."""
    if getattr(settings, "REDIS_SENTINELS", None):
        manager = sentinel_manager(settings.REDIS_SENTINELS, timeout=timeout)
        return manager.master_for(
            settings.REDIS_SENTINEL_MASTER,
            db=settings.REDIS_SENTINEL_DB,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
    return redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=timeout, socket_timeout=timeout
    )
