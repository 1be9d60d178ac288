"""newsroom.cache: a Redis that fails is a miss, then is left alone for the cool-off."""

import time

import pytest
from django_redis.cache import RedisCache

from newsroom import cache as backend
from newsroom.cache import PlainSerializer, ResilientRedisCache
from tests.servers import free_port


@pytest.fixture
def unreachable(settings):
    settings.CACHE_COOLOFF_SECONDS = 30
    location = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    backend._open_until.pop(location, None)
    yield ResilientRedisCache(
        location,
        {
            "OPTIONS": {
                "SERIALIZER": "newsroom.cache.PlainSerializer",
                "IGNORE_EXCEPTIONS": False,
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.25,
            }
        },
    )
    backend._open_until.pop(location, None)


def test_a_failing_redis_is_a_miss(unreachable):
    assert unreachable.get("page:x", "missing") == "missing"
    assert unreachable.get_many(["a", "b"]) == {}
    assert unreachable.set("page:x", b"value") is False
    assert unreachable.add("page:x", b"value") is False


def test_after_a_failure_redis_is_not_tried_during_the_cool_off(unreachable, monkeypatch):
    unreachable.get("page:x")

    def tried(*args, **kwargs):
        raise AssertionError("Redis was tried during the cool-off")

    for name in ("get", "get_many", "set", "add", "delete"):
        monkeypatch.setattr(RedisCache, name, tried)
    started = time.monotonic()
    assert unreachable.get("page:x") is None
    assert unreachable.get_many(["page:x"]) == {}
    assert unreachable.set("page:x", b"v") is False
    assert unreachable.add("page:x", b"v") is False
    assert unreachable.delete("page:x") is False
    assert time.monotonic() - started < 0.05


def test_the_serializer_stores_bytes_and_returns_them_unread():
    serializer = PlainSerializer({})
    payload = b"\x80\x04\x95 a pickle is just bytes here"

    assert serializer.loads(serializer.dumps(payload)) == payload
    with pytest.raises(TypeError):
        serializer.dumps({"not": "bytes"})
