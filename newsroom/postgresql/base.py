"""PostgreSQL as a web worker uses it: no database call may hang a request.

A frozen server (paused VM, stopped process, full disk) still accepts TCP and acknowledges
what it is sent, so neither TCP keepalives nor tcp_user_timeout notice it, and its own
statement_timeout cannot fire. The only limit that holds is the client's own clock: in a web
worker (newsroom.wsgi sets NEWSROOM_WEB_WORKER), every connect, health check and query gets
DATABASE_CLIENT_TIMEOUT seconds. Past that the connection is dropped and the request fails
with OperationalError (a 503 page, newsroom.views.server_error), and this process does not
try the database again for DATABASE_COOLOFF_SECONDS: requests answer 503 at once instead of
each waiting.

The clock is SIGALRM, so it runs only on the main thread of a process (gunicorn's sync
workers, whose main thread does nothing but requests); elsewhere, and in commands and
migrations, calls are unbounded here and rely on statement_timeout and the connection
options in settings.
"""

import signal
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError
from django.db.backends.postgresql import base

_state = {"down_until": 0.0}


class _Expired(BaseException):
    """Raised by the alarm inside the database driver; never escapes this module."""


def _expire(signum, frame):
    raise _Expired


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(self._bounded_execute)

    def get_new_connection(self, conn_params):
        with self.bounded():
            return super().get_new_connection(conn_params)

    def is_usable(self):
        # Django closes a connection that is not usable (at a request's start and end);
        # one that did not answer in time is not.
        try:
            with self.bounded():
                return super().is_usable()
        except OperationalError:
            return False

    def _bounded_execute(self, execute, sql, params, many, context):
        with self.bounded():
            return execute(sql, params, many, context)

    @contextmanager
    def bounded(self):
        seconds = settings.DATABASE_CLIENT_TIMEOUT
        if (
            not seconds
            or threading.current_thread() is not threading.main_thread()
            or signal.getitimer(signal.ITIMER_REAL)[0]  # already inside a bounded call
        ):
            yield
            return
        if time.monotonic() < _state["down_until"]:
            raise OperationalError("the database did not answer recently; not waiting on it")
        if signal.getsignal(signal.SIGALRM) is not _expire:
            signal.signal(signal.SIGALRM, _expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        except _Expired:
            _state["down_until"] = time.monotonic() + settings.DATABASE_COOLOFF_SECONDS
            # Mid-query, the connection is of no further use: drop it without a goodbye.
            self.close()
            raise OperationalError(f"the database did not answer within {seconds} s") from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
