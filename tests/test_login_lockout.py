"""Login lockout that cannot be turned into a weapon (newsroom/logins.py, django-axes).

Time passes by moving the recorded failures back: axes counts a failure for the cool-off
from the time it stored, so this is what "15 minutes later" means to it.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse

from newsroom.logins import DEVICE_COOKIE, client_ip

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"
ATTACKER = "203.0.113.66"
EDITOR = "198.51.100.7"
PROXY = "10.0.0.2"


@pytest.fixture
def chief(django_user_model):
    return django_user_model.objects.create_superuser("chief", "chief@example.com", PASSWORD)


def log_in(client, username, password, **headers):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        **headers,
    )


def logged_in(client):
    return SESSION_KEY in client.session


def minutes_pass(minutes):
    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - datetime.timedelta(minutes=minutes)
    )


def from_address(address):
    return Client(REMOTE_ADDR=address)


def behind_proxy(address):
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{address}, {PROXY}")


# --- Failures during a lockout ---------------------------------------------------------------


def test_failures_during_a_lockout_do_not_extend_it(chief):
    client = from_address(EDITOR)
    for _ in range(5):
        log_in(client, "chief", "wrong password")
    minutes_pass(10)
    # One request every few minutes used to keep the editor out for ever.
    assert log_in(client, "chief", "wrong password").status_code == 429
    assert log_in(client, "chief", PASSWORD).status_code == 429
    minutes_pass(6)  # 16 minutes after the fifth failure, 6 after the last one
    assert log_in(client, "chief", PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_right_password_gets_in_after_the_cool_off(chief):
    client = from_address(EDITOR)
    for _ in range(5):
        log_in(client, "chief", "wrong password")
    assert log_in(client, "chief", PASSWORD).status_code == 429
    minutes_pass(16)
    assert log_in(client, "chief", PASSWORD).status_code == 302


# --- The real client address behind a proxy --------------------------------------------------


def test_behind_a_trusted_proxy_an_attacker_locks_out_only_themselves(settings, chief):
    settings.TRUSTED_PROXIES = [PROXY]
    attacker = behind_proxy(ATTACKER)
    for _ in range(5):
        log_in(attacker, "chief", "wrong password")
    assert log_in(attacker, "chief", PASSWORD).status_code == 429
    editor = behind_proxy(EDITOR)
    assert log_in(editor, "chief", PASSWORD).status_code == 302


def test_x_forwarded_for_from_an_untrusted_address_is_ignored(settings, chief):
    settings.TRUSTED_PROXIES = [PROXY]
    for n in range(5):
        # A new forged address each time: it must not buy a fresh count.
        client = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        log_in(client, "chief", "wrong password")
    forged = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert log_in(forged, "chief", PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        (ATTACKER, "192.0.2.1", ATTACKER),  # not from a proxy: the header is the client's word
        (PROXY, f"{EDITOR}", EDITOR),
        (PROXY, f"192.0.2.1, {EDITOR}", EDITOR),  # the client wrote the left part
        (PROXY, f"{EDITOR}, 10.0.0.3", EDITOR),  # a second trusted proxy in the chain
        (PROXY, "not-an-address", PROXY),
        (PROXY, "", PROXY),
    ],
)
def test_client_address_is_the_right_most_one_no_trusted_proxy_wrote(
    settings, remote, forwarded, expected
):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_without_trusted_proxies_x_forwarded_for_is_never_read(settings):
    settings.TRUSTED_PROXIES = []
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=EDITOR)
    assert client_ip(request) == PROXY


# --- Spraying one password across usernames ---------------------------------------------------


def test_one_password_sprayed_across_usernames_locks_the_address(chief, django_user_model):
    for n in range(12):
        django_user_model.objects.create_user(f"reporter{n}", password=PASSWORD, is_staff=True)
    sprayer = from_address(ATTACKER)
    answers = [log_in(sprayer, f"reporter{n}", "Summer2026!").status_code for n in range(12)]
    assert answers[:9] == [200] * 9
    assert set(answers[10:]) == {429}
    # The address is locked, whoever it tries next, even with a right password ...
    assert log_in(sprayer, "chief", PASSWORD).status_code == 429
    # ... while everyone else's addresses are not.
    assert log_in(from_address(EDITOR), "chief", PASSWORD).status_code == 302


def test_a_login_to_one_account_does_not_wipe_the_count_of_a_spray(chief, django_user_model):
    for n in range(12):
        django_user_model.objects.create_user(f"reporter{n}", password=PASSWORD, is_staff=True)
    sprayer = from_address(ATTACKER)
    for n in range(8):
        log_in(sprayer, f"reporter{n}", "Summer2026!")
    assert log_in(sprayer, "chief", PASSWORD).status_code == 302  # the attacker's own login
    sprayer = from_address(ATTACKER)
    answers = [log_in(sprayer, f"reporter{n}", "Summer2026!").status_code for n in range(8, 12)]
    assert 429 in answers


# --- Known devices ----------------------------------------------------------------------------


def known_device_of_chief():
    """A browser chief has logged in from before (and since logged out of)."""
    client = from_address(EDITOR)
    assert log_in(client, "chief", PASSWORD).status_code == 302
    assert DEVICE_COOKIE in client.cookies
    client.post(reverse("admin:logout"))
    assert not logged_in(client)
    return client


def test_an_editor_on_a_known_device_gets_in_during_someone_elses_lockout(chief):
    device = known_device_of_chief()
    attacker = from_address(EDITOR)  # the same office address, or the same proxy
    for _ in range(5):
        log_in(attacker, "chief", "wrong password")
    assert log_in(attacker, "chief", PASSWORD).status_code == 429
    assert log_in(device, "chief", PASSWORD).status_code == 302
    assert logged_in(device)


def test_a_known_device_is_locked_by_its_own_failures(chief):
    device = known_device_of_chief()
    for _ in range(5):
        log_in(device, "chief", "wrong password")
    assert log_in(device, "chief", PASSWORD).status_code == 429


def test_a_device_cookie_is_known_for_its_own_editor_only(chief, django_user_model):
    django_user_model.objects.create_superuser("deputy", "deputy@example.com", PASSWORD)
    device = known_device_of_chief()
    attacker = from_address(EDITOR)
    for _ in range(5):
        log_in(attacker, "deputy", "wrong password")
    assert log_in(device, "deputy", PASSWORD).status_code == 429


def test_a_forged_device_cookie_is_not_known(chief):
    attacker = from_address(EDITOR)
    for _ in range(5):
        log_in(attacker, "chief", "wrong password")
    attacker.cookies[DEVICE_COOKIE] = "chief:made-up"
    assert log_in(attacker, "chief", PASSWORD).status_code == 429
