"""A timeline made from the story screen (the timeline field's "+" popup) offers the
story's sources at once, as the story form stands: those not saved yet too.

The story screen's script puts its sources table into the popup's address (source,
source_title, source_outlet, in table order); the popup's entries may cite them as [n]. A
cited source that is not an article yet becomes one when the timeline is saved, and the
story's own save then finds it by its URL.
"""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from stories.models import Article, Outlet, Source
from tests.admin_helpers import add_inline, error_text, form_data
from tests.factories import ArticleFactory, OutletFactory
from timelines.models import EntryCitation, Timeline

pytestmark = pytest.mark.django_db


def popup_url(*sources):
    """The add-timeline popup as the story screen opens it, with its sources table."""
    query = [("_to_field", "id"), ("_popup", "1")]
    for url, title, outlet in sources:
        query += [("source", url), ("source_title", title), ("source_outlet", outlet)]
    return f"{reverse('admin:timelines_timeline_add')}?{urlencode(query)}"


NEW_SOURCE = ("https://harbor.example/talks-resume", "Talks resume", "Harbor Gazette")


def entry_choices(response):
    formset = response.context["inline_admin_formsets"][0].formset
    return [str(label) for _, label in formset.empty_form.fields["citations"].choices]


def new_timeline(client, url, *, cites):
    """Post the popup's form: a timeline with one entry citing `cites` (choice values)."""
    data = form_data(client.get(url))
    data.update(title="Road to the talks", slug="road-to-the-talks")
    add_inline(data, "entries", date="Dec 11, 2025", text="Envoys land.", citations=cites)
    return client.post(url, data)


def test_the_popup_offers_the_story_forms_sources_numbered_as_there(reporter_client):
    known = ArticleFactory(title="Envoys land", outlet__name="Northern Ledger")

    response = reporter_client.get(
        popup_url((known.url, "Envoys land", "Northern Ledger"), NEW_SOURCE)
    )

    assert response.status_code == 200
    assert entry_choices(response) == [
        "[1] Northern Ledger: Envoys land",
        "[2] Harbor Gazette: Talks resume",
    ]


def test_an_entry_cites_an_unsaved_source_which_becomes_an_article(reporter_client):
    response = new_timeline(reporter_client, popup_url(NEW_SOURCE), cites=["offered-1"])

    assert response.status_code == 200, error_text(response)  # the popup closes itself
    assert "opener" in response.text or "popup_response" in response.text
    article = Article.objects.get(url=NEW_SOURCE[0])
    assert (article.title, article.outlet.name) == ("Talks resume", "Harbor Gazette")
    entry = Timeline.objects.get(slug="road-to-the-talks").entries.get()
    assert list(entry.citations.all()) == [article]


def test_the_story_saved_afterwards_takes_the_same_article(reporter_client):
    new_timeline(reporter_client, popup_url(NEW_SOURCE), cites=["offered-1"])
    timeline = Timeline.objects.get(slug="road-to-the-talks")
    add_url = reverse("admin:stories_story_add")
    data = form_data(reporter_client.get(add_url))
    data.update(headline="Talks resume", slug="talks-resume", timeline=timeline.pk)
    data["_workflow"] = "draft"
    url, title, outlet = NEW_SOURCE
    add_inline(data, "sources", url=url, title=title, new_outlet=outlet)

    response = reporter_client.post(add_url, data)

    assert response.status_code == 302, error_text(response)
    assert Article.objects.filter(url=url).count() == 1
    assert Outlet.objects.filter(name="Harbor Gazette").count() == 1
    assert Source.objects.get(story__slug="talks-resume").article.url == url


def test_a_known_article_is_cited_as_it_is_whatever_the_form_says(reporter_client):
    known = ArticleFactory(title="Envoys land")

    new_timeline(
        reporter_client,
        popup_url((known.url, "Retitled in the story form", "Someone else")),
        cites=["offered-1"],
    )

    known.refresh_from_db()
    assert known.title == "Envoys land"
    assert not Outlet.objects.filter(name="Someone else").exists()
    assert EntryCitation.objects.get().article == known


def test_two_entries_citing_one_new_source_make_one_article(reporter_client):
    url = popup_url(NEW_SOURCE)
    data = form_data(reporter_client.get(url))
    data.update(title="Road to the talks", slug="road-to-the-talks")
    for day in ("Dec 11, 2025", "Dec 12, 2025"):
        add_inline(data, "entries", date=day, text=f"On {day}.", citations=["offered-1"])

    response = reporter_client.post(url, data)

    assert response.status_code == 200, error_text(response)
    assert Article.objects.filter(url=NEW_SOURCE[0]).count() == 1
    assert EntryCitation.objects.count() == 2


def test_a_new_source_without_a_title_is_refused_naming_it(reporter_client):
    response = new_timeline(
        reporter_client,
        popup_url(("https://harbor.example/untitled", "", "Harbor Gazette")),
        cites=["offered-1"],
    )

    assert response.status_code == 200
    assert "Source [1]" in error_text(response)
    assert "title" in error_text(response)
    assert not Timeline.objects.exists()
    assert not Article.objects.exists()


def test_a_new_source_on_a_known_outlets_site_takes_that_outlet(reporter_client):
    outlet = OutletFactory(name="Harbor Gazette", website="https://harbor.example")

    new_timeline(
        reporter_client,
        popup_url(("https://www.harbor.example/new", "New", "")),
        cites=["offered-1"],
    )

    assert Article.objects.get(url="https://www.harbor.example/new").outlet == outlet


def test_a_choice_the_popup_was_not_offered_is_refused(reporter_client):
    response = new_timeline(reporter_client, popup_url(NEW_SOURCE), cites=["offered-7"])

    assert response.status_code == 200
    assert "Select a valid choice" in error_text(response)
    assert not Timeline.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        "source=javascript:alert(1)&source_title=x&source_outlet=y",
        "source=https://a.example/1&source_title=only-one-title&source_title=two",
        "source=" + "https://a.example/" + "x" * 5000,
        "source_title=no-url",
        "&".join(["source=https://a.example/1&source_title=t&source_outlet=o"] * 300),
    ],
)
def test_a_hostile_popup_address_offers_nothing_bad_and_never_fails(reporter_client, query):
    url = f"{reverse('admin:timelines_timeline_add')}?_popup=1&{query}"

    response = reporter_client.get(url)

    assert response.status_code == 200
    for label in entry_choices(response):
        assert "javascript:" not in label and "x" * 600 not in label


def test_the_timeline_change_screen_offers_the_story_forms_sources_too(reporter_client):
    timeline = Timeline.objects.create(title="Road", slug="road")
    url = reverse("admin:timelines_timeline_change", args=[timeline.pk])
    query = urlencode(
        {"_popup": "1", "source": NEW_SOURCE[0], "source_title": "T", "source_outlet": "Harbor"}
    )

    response = reporter_client.get(f"{url}?{query}")

    assert entry_choices(response) == ["[1] Harbor: T"]


def test_a_source_offered_twice_is_offered_once(reporter_client):
    response = reporter_client.get(popup_url(NEW_SOURCE, NEW_SOURCE))

    assert entry_choices(response) == ["[1] Harbor Gazette: Talks resume"]
