"""Login throttling (django-axes) that an attacker cannot turn against the newsroom.

* A client is its real address: X-Forwarded-For is read only when the request comes from one
  of TRUSTED_PROXIES, and then only the addresses those proxies appended.
* Guessing one editor's password locks that username from that address; spraying a password
  across many usernames locks the address (at a higher count: an office shares one).
* An editor's own browser, known from a signed cookie set when they last logged in, is not
  shut out by anyone else's failures, only by its own.
* Failures during a lockout do not extend it (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT).
"""

import ipaddress
import secrets
from functools import cache

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache as counters
from django.db.models import Sum

DEVICE_COOKIE = "newsroom_device"
DEVICE_SALT = "newsroom.logins.known-device"
DEVICE_MAX_AGE = 90 * 24 * 60 * 60


@cache
def _trusted_proxies(proxies):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _is_trusted(address):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_proxies(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request):
    """The client's address (AXES_CLIENT_IP_CALLABLE).

    Each trusted proxy appends the address it was reached from to X-Forwarded-For, so the
    client is the right-most address that is not a trusted proxy; anything to its left was
    written by the client and proves nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for address in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _is_trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote  # a proxy that passes garbage on: count it as itself
        remote = address
    return remote


def known_device(request, username):
    """The id of this browser when it is a known device of `username`, else None."""
    value = request.get_signed_cookie(
        DEVICE_COOKIE, default=None, salt=DEVICE_SALT, max_age=DEVICE_MAX_AGE
    )
    owner, _, device = (value or "").rpartition(":")
    return device if username and owner == username else None


class LoginThrottle(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler with the rules in this module's docstring."""

    def get_failures(self, request, credentials=None):
        username = get_client_username(request, credentials)
        device = known_device(request, username)
        if device:
            return counters.get(self._device_key(device), 0)
        # Axes compares one count with AXES_FAILURE_LIMIT: the address alone, which has its
        # own higher limit, is counted in proportion to it.
        limit = settings.AXES_FAILURE_LIMIT
        return max(
            self._failures(attempts) * limit // self._limit(parameter)
            for parameter, attempts in zip(
                settings.AXES_LOCKOUT_PARAMETERS,
                self.get_user_attempts(request, credentials),
                strict=True,
            )
        )

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is not None:
            device = known_device(request, get_client_username(request, credentials))
            if device and not getattr(request, "axes_locked_out", False):
                key = self._device_key(device)
                timeout = get_cool_off(request).total_seconds()
                try:
                    counters.incr(key)
                    counters.touch(key, timeout)
                except ValueError:  # the first failure (or the cache lost the count)
                    counters.set(key, 1, timeout)
        super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        username = user.get_username()
        device = known_device(request, username) or secrets.token_urlsafe(16)
        counters.delete(self._device_key(device))
        # KnownDeviceMiddleware sets (or renews) the cookie on the response.
        request.known_device = f"{username}:{device}"

    def reset_user_attempts(self, request, credentials=None):
        # Only this username's failures from this address: a login to one account must not
        # wipe the count of a password sprayed across the others.
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(
            username=username, ip_address=request.axes_ip_address
        ).delete()
        return count

    @staticmethod
    def _failures(attempts):
        return attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0

    @staticmethod
    def _limit(parameter):
        if parameter == "ip_address":
            return settings.AXES_FAILURE_LIMIT_PER_ADDRESS
        return settings.AXES_FAILURE_LIMIT

    @staticmethod
    def _device_key(device):
        return f"login-failures:device:{device}"


class KnownDeviceMiddleware:
    """Gives the browser an editor has just logged in from its known-device cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        value = getattr(request, "known_device", None)
        if value:
            response.set_signed_cookie(
                DEVICE_COOKIE,
                value,
                salt=DEVICE_SALT,
                max_age=DEVICE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
