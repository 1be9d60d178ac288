"""Newsroom's production settings, plus the benchmark's reference address (bench.urls).

Nothing else differs: the same middleware, cache and database settings from the
environment, so that the reference goes through everything a page does.
"""

from newsroom.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
