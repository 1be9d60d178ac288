"""Every admin URL, for every role, for every state of the content involved.

The matrix is generated from the admin itself: each registered model admin's URL patterns
(and bulk actions, popups, the preview, autocomplete) become operations, and a URL nobody
has classified fails test_every_admin_url_is_in_the_matrix. Each cell builds a small
newsroom around a story in one state, sends the request a browser (or a forger) would,
and compares a dump of every table before and after: a refused request changes no row,
an allowed write changes some, a read changes none.

The rules it checks (newsroom/editing.py):
- anonymous visitors reach nothing; superusers everything but what nobody may do;
- editors change all content, never users or login records;
- reporters change what no published (scheduled too) or archived story shows, never feeds,
  never publish or archive; they may read every content screen;
- nobody deletes a timeline that a published (or scheduled) story shows.
"""

import datetime
from dataclasses import dataclass

import pytest
import reversion
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone
from reversion.models import Version

from newsroom import derived
from stories.models import Feed, Outlet, SharedPreview, Story
from tests.admin_helpers import form_data
from tests.factories import (
    ArticleFactory,
    EntryCitationFactory,
    ExternalResourceFactory,
    FeedFactory,
    HeroImageFactory,
    KeyPointCitationFactory,
    KeyPointFactory,
    OutletFactory,
    SourceFactory,
    StoryFactory,
    StoryNoteFactory,
    TimelineEntryFactory,
    TimelineFactory,
    VideoFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "reporter", "editor", "superuser"]
STATES = ["draft", "review", "scheduled", "published", "archived"]
EDITOR_ONLY_STATES = {"scheduled", "published", "archived"}  # Story.EDITOR_ONLY, by name
CONTENT = [
    "stories.Story",
    "timelines.Timeline",
    "stories.Article",
    "stories.Outlet",
    "stories.Feed",
]
# Screens of other packages: users, groups and login records are the superuser's alone.
ACCOUNTS = [
    "auth.User",
    "auth.Group",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
]

# What a change form edits in each content model: the field a cell changes.
EDITED = {
    "stories.Story": "headline",
    "timelines.Timeline": "title",
    "stories.Article": "title",
    "stories.Outlet": "name",
    "stories.Feed": "description",
    "auth.User": "first_name",
    "auth.Group": "name",
}

# Admin URLs that are not a model's data: each with why it is outside the matrix.
SITE_URLS = {
    "index": "the admin's home page: lists what the user may see, changes nothing",
    "login": "tested with the lockout tests (tests/test_security.py)",
    "logout": "ends the user's own session",
    "password_change": "the user's own password, as Django's own tests cover it",
    "password_change_done": "a confirmation page",
    "jsi18n": "the admin's JavaScript catalogue",
    "view_on_site": "a redirect to an object's public page (public pages hide drafts)",
    "app_list": "an app's list of models, as the home page",
    "final_catch_all": "a 404 or a redirect to the login page",
    "object_redirect": "<id>/ redirects to <id>/change/",
}


# --- The operations: what each kind of admin URL is asked ---------------------------------


@dataclass(frozen=True)
class Operation:
    name: str
    url_suffix: str  # the admin URL name's suffix it exercises: changelist, add, ...
    kind: str  # "read", "write" or "preview"
    needs: str  # the model permission it needs: view, add, change, delete, or "publish"
    per_state: bool = True  # False: the content's state plays no part


OPERATIONS = [
    Operation("changelist", "changelist", "read", "view", per_state=False),
    Operation("add_page", "add", "read", "add", per_state=False),
    Operation("add", "add", "write", "add"),
    Operation("add_popup", "add", "write", "add"),
    Operation("change_page", "change", "read", "view"),
    Operation("change", "change", "write", "change"),
    Operation("change_popup", "change", "write", "change"),
    Operation("delete_page", "delete", "read", "delete"),
    Operation("delete", "delete", "write", "delete"),
    Operation("history", "history", "read", "view"),
    Operation("compare", "compare", "read", "view"),
    Operation("revision_page", "revision", "read", "change"),
    Operation("revert", "revision", "write", "change"),
    Operation("recoverlist", "recoverlist", "read", "recover", per_state=False),
    Operation("recover_page", "recover", "read", "recover"),
    Operation("recover", "recover", "write", "recover"),
    Operation("set_password", "password_change", "write", "change", per_state=False),
]
PREVIEW = Operation("preview", "change", "preview", "change")
# Another editor's live preview of the story, at the address it is shared at.
SHARED_PREVIEW = Operation("shared_preview", "shared_preview", "read", "view")
LIST_EDITABLE = Operation("list_editable", "changelist", "write", "change")
AUTOCOMPLETE = Operation("autocomplete", "autocomplete", "read", "view", per_state=False)


def bulk_action(name):
    needs = {"delete_selected": "delete", "publish_selected": "publish"}.get(name, "change")
    needs = "publish" if name == "archive_selected" else needs
    return Operation(f"action:{name}", "changelist", "write", needs)


def admin_urls():
    """(name, route) of every admin URL; unnamed ones get a name saying what they are."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                name = pattern.name
                if name is None:
                    name = (
                        "object_redirect"
                        if route.endswith("<path:object_id>/")
                        else ("final_catch_all")
                    )
                yield name, route

    return list(walk(admin.site.get_urls()))


def model_admins():
    return {model._meta.label: model_admin for model, model_admin in admin.site._registry.items()}


def operations_of(label):
    """The operations one model admin's URLs and actions call for."""
    model_admin = model_admins()[label]
    opts = model_admin.model._meta
    prefix = f"{opts.app_label}_{opts.model_name}_"
    suffixes = {name.removeprefix(prefix) for name, _ in admin_urls() if name.startswith(prefix)}
    found = [operation for operation in OPERATIONS if operation.url_suffix in suffixes]
    if label == "stories.Story":
        found += [PREVIEW, SHARED_PREVIEW]
    if model_admin.list_editable:
        found.append(LIST_EDITABLE)
    # Bulk actions, by their kind: add_to_feed_<id> stands for every feed's.
    for name in sorted(ACTION_KINDS.get(label, ())):
        found.append(bulk_action(name))
    return found


# The bulk actions each admin offers a superuser (checked against the admin in a test).
ACTION_KINDS = {
    "stories.Story": {"delete_selected", "publish_selected", "archive_selected", "add_to_feed"},
    "timelines.Timeline": {"delete_selected"},
    "stories.Article": {"delete_selected"},
    "stories.Outlet": {"delete_selected"},
    "stories.Feed": {"delete_selected"},
    "auth.User": {"delete_selected"},
    "auth.Group": {"delete_selected"},
    "axes.AccessAttempt": {"delete_selected", "cleanup_expired_attempts"},
    "axes.AccessLog": {"delete_selected"},
    "axes.AccessFailureLog": {"delete_selected"},
}


def cells():
    for label in [*CONTENT, *ACCOUNTS]:
        for operation in operations_of(label):
            content_states = STATES if label in CONTENT and operation.per_state else ["any"]
            # Only a story's own state plays a part in adding or recovering it.
            if label != "stories.Story" and operation.name in ("add", "add_popup", "recover"):
                content_states = ["any"]
            if label != "stories.Story" and operation.name == "recover_page":
                content_states = ["any"]
            for state in content_states:
                for role in ROLES:
                    yield pytest.param(
                        label,
                        operation,
                        state,
                        role,
                        id=f"{label}-{operation.name}-{state}-{role}",
                    )
    for source_label, field in AUTOCOMPLETE_FIELDS:
        for role in ROLES:
            yield pytest.param(
                source_label,
                AUTOCOMPLETE,
                field,
                role,
                id=f"{source_label}.{field}-autocomplete-{role}",
            )


AUTOCOMPLETE_FIELDS = sorted(
    (label, field)
    for label, model_admin in model_admins().items()
    for field in model_admin.autocomplete_fields
)


# --- What each role may do -----------------------------------------------------------------

REPORTER_PERMISSIONS = {
    "stories.Story": {"view", "add", "change", "delete", "recover"},
    "timelines.Timeline": {"view", "add", "change", "recover"},
    "stories.Article": {"view", "add", "change", "recover"},
    "stories.Outlet": {"view", "add", "change", "recover"},
    "stories.Feed": {"view"},
}
# Reads that a reporter may make of content an editor alone may change.
READS_OF_EDITOR_ONLY_CONTENT = {
    "shared_preview",
    "changelist",
    "add_page",
    "change_page",
    "history",
    "compare",
    "recoverlist",
}


def expected(label, operation, state, role):
    """True: allowed; False: refused; None: a package's own rules (the superuser on its
    screens), asserted only to change nothing on a read and to answer without an error."""
    if role == "anonymous":
        return False
    if operation is AUTOCOMPLETE:
        return True  # every staff role may view stories and articles, whose fields these are
    if label in ACCOUNTS:
        return None if role == "superuser" else False
    if nobody_may(label, operation, state):
        return False
    if role in ("superuser", "editor"):
        return True
    if operation.needs not in REPORTER_PERMISSIONS[label]:
        return False
    if operation.name in READS_OF_EDITOR_ONLY_CONTENT or state == "any":
        return True
    return state not in EDITOR_ONLY_STATES


def nobody_may(label, operation, state):
    """Deletes that would take something off a page: a timeline that a published or
    scheduled story shows; an article a story cites, or its outlet (the world's are)."""
    if operation.name not in ("delete", "action:delete_selected"):
        return False
    if label == "timelines.Timeline":
        return state in ("scheduled", "published")
    return label in ("stories.Article", "stories.Outlet")


# --- A small newsroom around a story in one state ------------------------------------------


def story_fields(state):
    now = timezone.now()
    return {
        "draft": {"status": Story.Status.DRAFT},
        "review": {"status": Story.Status.IN_REVIEW},
        "scheduled": {
            "status": Story.Status.PUBLISHED,
            "published_at": now + datetime.timedelta(days=1),
        },
        "published": {
            "status": Story.Status.PUBLISHED,
            "published_at": now - datetime.timedelta(hours=1),
        },
        "archived": {
            "status": Story.Status.ARCHIVED,
            "published_at": now - datetime.timedelta(days=3),
        },
    }[state]


def a_story(state, **fields):
    """A story in `state` with every kind of item its page shows."""
    story = StoryFactory(**story_fields(state), **fields)
    HeroImageFactory(story=story)
    first = SourceFactory(story=story, position=1)
    SourceFactory(story=story, position=2)
    point = KeyPointFactory(story=story, position=1)
    KeyPointCitationFactory(key_point=point, source=first)
    VideoFactory(story=story, position=1)
    ExternalResourceFactory(story=story, position=1)
    StoryNoteFactory(story=story)
    return story


def with_history(row, field):
    """Two revisions of `row`: the older one (returned) has another value of `field`."""
    current = getattr(row, field)
    with reversion.create_revision():
        setattr(row, field, f"Earlier {current}")
        row.save()
    older = Version.objects.get_for_object(row).first()
    with reversion.create_revision():
        setattr(row, field, current)
        row.save()
    return older


def deleted(row):
    """Keep `row` in History, delete it: the version a recover restores."""
    with reversion.create_revision():
        row.save()
    version = Version.objects.get_for_object(row).first()
    row.delete()
    return version


class World:
    """The rows one cell acts on: a story in `state`, and what it shows."""

    def __init__(self, state):
        state = "draft" if state == "any" else state
        with derived.batch():  # each page is rendered once, not once a row
            self.build(state)

    def build(self, state):
        self.feed = FeedFactory()
        self.timeline = TimelineFactory()
        self.story = a_story(state, feeds=[self.feed], timeline=self.timeline)
        self.article = self.story.sources.first().article
        self.outlet = self.article.outlet
        entry = TimelineEntryFactory(timeline=self.timeline, position=1)
        EntryCitationFactory(entry=entry, article=self.article)
        self.user = User.objects.create(username="some-colleague")
        self.group = Group.objects.create(name="Photo desk")
        self.attempt = AccessAttempt.objects.create(
            username="someone", ip_address="192.0.2.1", user_agent="test", failures_since_start=1
        )
        self.state = state

    def subject(self, label):
        return {
            "stories.Story": self.story,
            "timelines.Timeline": self.timeline,
            "stories.Article": self.article,
            "stories.Outlet": self.outlet,
            "stories.Feed": self.feed,
            "auth.User": self.user,
            "auth.Group": self.group,
            "axes.AccessAttempt": self.attempt,
        }.get(label)

    def deleted_version(self, label):
        """A deleted row of the model, kept in History, in this world's state."""
        if label == "stories.Story":
            return deleted(a_story(self.state))
        return deleted(
            {
                "timelines.Timeline": TimelineFactory,
                "stories.Article": ArticleFactory,
                "stories.Outlet": OutletFactory,
                "stories.Feed": FeedFactory,
            }[label]()
        )


# --- Sending a cell's request ------------------------------------------------------------


def url(label, suffix, *args, query=""):
    app_label, model = label.lower().split(".")
    return reverse(f"admin:{app_label}_{model}_{suffix}", args=args) + query


def new_row_form(superuser, label, state):
    """An add form as a browser fills it in (for a story: asking for `state`)."""
    page = superuser.get(url(label, "add"))
    if page.status_code != 200:  # nobody adds these (axes' login records): a forged form
        return {"username": "forged", "ip_address": "192.0.2.9"}
    data = form_data(page)
    n = Story.objects.count() + Feed.objects.count() + Outlet.objects.count()
    if label == "stories.Story":
        fields = story_fields("draft" if state == "any" else state)
        data.update(headline=f"New story {n}", slug=f"new-story-{n}", status=fields["status"])
        if fields.get("published_at"):
            moment = timezone.localtime(fields["published_at"])
            data["published_at_0"] = moment.strftime("%Y-%m-%d")
            data["published_at_1"] = moment.strftime("%H:%M:%S")
    elif label == "timelines.Timeline":
        data.update(title=f"New timeline {n}", slug=f"new-timeline-{n}")
    elif label == "stories.Article":
        data.update(
            title=f"New article {n}",
            url=f"https://news.example/new-{n}",
            outlet=str(Outlet.objects.first().pk),
        )
    elif label == "stories.Outlet":
        data.update(name=f"New outlet {n}", slug=f"new-outlet-{n}")
    elif label == "stories.Feed":
        data.update(name=f"New feed {n}", slug=f"new-feed-{n}", nav_position="9")
    elif label == "auth.User":
        data.update(
            username=f"new-user-{n}",
            password1="a-long-pass-phrase-9",
            password2="a-long-pass-phrase-9",
        )
    elif label == "auth.Group":
        data.update(name=f"New group {n}")
    return data


def changed_form(superuser, label, subject):
    data = form_data(superuser.get(url(label, "change", subject.pk)))
    field = EDITED.get(label)
    if field:
        data[field] = f"{data.get(field, '')} (changed)"
    return data


def prepare(client, superuser, world, label, operation, state):
    """Make what one cell's request needs (revisions, a deleted row, the form a browser
    shows) and return the request, to send once the database has been dumped."""
    name = operation.name
    subject = world.subject(label)
    if operation is AUTOCOMPLETE:
        app_label, model_name = label.lower().split(".")
        query = {"app_label": app_label, "model_name": model_name, "field_name": state}
        return lambda: client.get(reverse("admin:autocomplete"), {**query, "term": ""})
    if name in ("changelist", "recoverlist"):
        return lambda: client.get(url(label, name))
    if name == "add_page":
        return lambda: client.get(url(label, "add"))
    if name in ("add", "add_popup"):
        data = new_row_form(superuser, label, state)
        if name == "add_popup":
            data["_popup"] = "1"
            return lambda: client.post(url(label, "add", query="?_popup=1"), data)
        return lambda: client.post(url(label, "add"), data)
    if subject is None:  # axes' login logs: whatever row there is, or the list
        subject = apps.get_model(label).objects.first()
        if subject is None:
            return lambda: client.get(url(label, "changelist"))
    if name == "change_page":
        return lambda: client.get(url(label, "change", subject.pk))
    if name in ("change", "change_popup", "preview"):
        data = changed_form(superuser, label, subject)
        query = ""
        if name == "change_popup":
            data["_popup"], query = "1", "?_popup=1"
        if name == "preview":
            data["_preview"] = "Preview"
        return lambda: client.post(url(label, "change", subject.pk, query=query), data)
    if name == "shared_preview":
        colleague = User.objects.get(username="sam-superuser")
        token = SharedPreview.objects.keep(colleague, subject.pk, "<h1>Preview — unsaved</h1>")
        return lambda: client.get(url(label, "shared_preview", token))
    if name == "delete_page":
        return lambda: client.get(url(label, "delete", subject.pk))
    if name == "delete":
        return lambda: client.post(url(label, "delete", subject.pk), {"post": "yes"})
    if name == "history":
        return lambda: client.get(url(label, "history", subject.pk))
    if name == "compare":
        older = with_history(subject, EDITED[label])
        newer = Version.objects.get_for_object(subject).exclude(pk=older.pk).first()
        versions = {"version_id1": older.pk, "version_id2": newer.pk}
        return lambda: client.get(url(label, "compare", subject.pk), versions)
    if name in ("revision_page", "revert"):
        older = with_history(subject, EDITED[label])
        address = url(label, "revision", subject.pk, older.pk)
        if name == "revision_page":
            return lambda: client.get(address)
        data = form_data(superuser.get(address))
        return lambda: client.post(address, data)
    if name in ("recover_page", "recover"):
        address = url(label, "recover", world.deleted_version(label).pk)
        if name == "recover_page":
            return lambda: client.get(address)
        data = form_data(superuser.get(address))
        return lambda: client.post(address, data)
    if name == "set_password":
        data = {"password1": "another-long-phrase-7", "password2": "another-long-phrase-7"}
        return lambda: client.post(url(label, "password_change", subject.pk), data)
    if name == "list_editable":
        data = form_data(superuser.get(url(label, "changelist")), form_id="changelist-form")
        data["form-0-nav_position"] = str(int(data["form-0-nav_position"]) + 100)
        data["_save"] = "Save"
        return lambda: client.post(url(label, "changelist"), data)
    if name.startswith("action:"):
        action = name.removeprefix("action:")
        if action == "add_to_feed":
            action = f"add_to_feed_{FeedFactory().pk}"
        data = {"action": action, "_selected_action": [subject.pk], "post": "yes"}
        return lambda: client.post(url(label, "changelist"), data)
    raise AssertionError(f"no request for {name}")


# --- The database, before and after ------------------------------------------------------

# Written by logging in (force_login), never by the admin's screens.
UNDUMPED = {"sessions.Session"}


def dump():
    return {
        model._meta.label: sorted(map(repr, model._base_manager.values_list()))
        for model in apps.get_models()
        if model._meta.label not in UNDUMPED
    }


def changes(before, after):
    return [label for label in before if before[label] != after[label]]


@pytest.fixture(autouse=True)
def _quick_passwords(settings):
    """1,500 cells log in four roles each: a password hash made in a millisecond."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clients(reporter, editor, django_user_model):
    superuser = django_user_model.objects.create_superuser("sam-superuser", password="x" * 20)
    made = {"anonymous": Client()}
    for role, user in (("reporter", reporter), ("editor", editor), ("superuser", superuser)):
        made[role] = Client()
        made[role].force_login(user)
    return made


@pytest.mark.parametrize(("label", "operation", "state", "role"), list(cells()))
def test_permission_matrix(clients, label, operation, state, role):
    world = World("any" if operation is AUTOCOMPLETE else state)
    request = prepare(clients[role], clients["superuser"], world, label, operation, state)
    before = dump()

    response = request()

    changed = changes(before, dump())
    allowed = expected(label, operation, state, role)
    assert response.status_code < 500, response.status_code
    if allowed is False:
        assert not changed, f"a refused {operation.name} changed {changed}"
        if operation.kind == "read":
            assert response.status_code in (302, 403), response.status_code
        if operation.kind == "preview":
            assert "Preview — unsaved changes" not in response.text
    elif allowed is True and operation.kind == "write":
        assert changed, f"an allowed {operation.name} changed nothing ({response.status_code})"
    elif allowed is True and operation.kind == "preview":
        # Nothing of the story is saved; the preview is kept for other editors to open.
        assert changed == ["stories.SharedPreview"], f"a preview changed {changed}"
        assert response.status_code == 200, response.status_code
        assert "Preview — unsaved changes" in response.text
    elif allowed is True:
        assert not changed, f"a {operation.kind} changed {changed}"
        assert response.status_code == 200, response.status_code
    else:  # a package's own screen, for the superuser
        assert operation.kind == "write" or not changed, f"a read changed {changed}"


# --- The matrix covers the admin -------------------------------------------------------------


def test_every_admin_url_is_in_the_matrix():
    covered = set(SITE_URLS) | {"autocomplete"}
    for label in [*CONTENT, *ACCOUNTS]:
        opts = apps.get_model(label)._meta
        covered |= {
            f"{opts.app_label}_{opts.model_name}_{operation.url_suffix}"
            for operation in operations_of(label)
        }
    unlisted = sorted({name for name, _ in admin_urls()} - covered)
    assert not unlisted, f"admin URLs no test asks anything of: {unlisted}"


def test_every_registered_model_admin_is_in_the_matrix():
    assert set(model_admins()) == set(CONTENT) | set(ACCOUNTS)


def test_every_bulk_action_is_in_the_matrix(rf, django_user_model):
    superuser = django_user_model.objects.create_superuser("ada", password="x" * 20)
    FeedFactory()
    for label, model_admin in model_admins().items():
        request = rf.get("/")
        request.user = superuser
        names = {
            "add_to_feed" if name.startswith("add_to_feed_") else name
            for name in model_admin.get_actions(request)
        }
        assert names == ACTION_KINDS[label], label


def test_the_matrix_size():
    total = len(list(cells()))
    # URLs x roles x states, as the closing note quotes it.
    assert total > 1000
