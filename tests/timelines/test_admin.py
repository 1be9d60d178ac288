"""The timeline admin: entries cite the articles its stories list as sources."""

import datetime

import pytest
from django.urls import reverse

from stories.models import Article, ContentVersion, Story
from tests.admin_helpers import add_inline, error_text, form_data, inline_index
from tests.factories import (
    EntryCitationFactory,
    PublishedStoryFactory,
    SourceFactory,
    TimelineEntryFactory,
    TimelineFactory,
)
from timelines.models import EntryCitation, TimelineEntry

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def change_url(timeline):
    return reverse("admin:timelines_timeline_change", args=[timeline.pk])


def timeline_form(client, timeline, **fields):
    data = form_data(client.get(change_url(timeline)))
    data.update(fields)
    return data


@pytest.fixture
def timeline(db):
    """A timeline shown by two stories, with two entries that each cite one article.

    `timeline.offered` are the articles its stories list as sources; `timeline.unrelated` is
    a source of a story that does not show it.
    """
    timeline = TimelineFactory(title="Road to the talks")
    havana = PublishedStoryFactory(headline="Talks resume in Havana", timeline=timeline)
    bogota = PublishedStoryFactory(headline="Bogotá reacts", timeline=timeline)
    offered = [
        SourceFactory(story=havana, position=1, article__title="Envoys land").article,
        SourceFactory(story=havana, position=2, article__title="Agenda agreed").article,
        SourceFactory(story=bogota, position=1, article__title="Reaction pours in").article,
    ]
    day = datetime.date(2025, 12, 11)
    first = TimelineEntryFactory(timeline=timeline, date=day, position=1, text="Envoys land.")
    second = TimelineEntryFactory(timeline=timeline, date=day, position=2, text="Agenda set.")
    EntryCitationFactory(entry=first, article=offered[0])
    EntryCitationFactory(entry=second, article=offered[1])
    timeline.offered = offered
    timeline.entries_by_position = [first, second]
    timeline.unrelated = SourceFactory(article__title="Unrelated").article
    timeline.stories_showing = [havana, bogota]
    return timeline


def test_timeline_changelist_shows_the_stories_showing_it(editor_client, timeline):
    response = editor_client.get(reverse("admin:timelines_timeline_changelist"))

    assert response.status_code == 200
    (row,) = response.context["cl"].result_list
    shown_by = response.context["cl"].model_admin.story_list(row)
    assert sorted(shown_by.split(", ")) == ["Bogotá reacts", "Talks resume in Havana"]
    assert "Talks resume in Havana" in response.text


def test_entry_citations_are_picked_from_the_stories_sources(editor_client, timeline):
    response = editor_client.get(change_url(timeline))

    (entries,) = response.context["inline_admin_formsets"]
    for form in entries.formset.forms:
        offered = set(form.fields["citations"].queryset)
        assert offered == set(timeline.offered)


def test_new_entry_cites_a_source_of_a_story_showing_the_timeline(editor_client, timeline):
    article = timeline.offered[2]
    data = timeline_form(editor_client, timeline)
    add_inline(
        data,
        "entries",
        date="2026-01-05",
        precision="day",
        text="Bogotá reacts.",
        citations=[article.pk],
    )

    response = editor_client.post(change_url(timeline), data)

    assert response.status_code == 302, error_text(response)
    entry = TimelineEntry.objects.get(text="Bogotá reacts.")
    assert list(entry.citations.all()) == [article]


def test_entry_cannot_cite_an_article_the_stories_do_not_list(editor_client, timeline):
    data = timeline_form(editor_client, timeline)
    index = inline_index(data, "entries", "id", timeline.entries_by_position[0].pk)
    data[f"entries-{index}-citations"] = [str(timeline.unrelated.pk)]

    response = editor_client.post(change_url(timeline), data)

    assert response.status_code == 200
    assert "Select a valid choice" in error_text(response)
    assert not EntryCitation.objects.filter(article=timeline.unrelated).exists()


def test_change_page_names_what_each_entry_cites(editor_client, timeline):
    response = editor_client.get(change_url(timeline))

    assert "Envoys land" in response.text
    assert "Agenda agreed" in response.text
    assert "No citation" not in response.text


def test_change_page_flags_an_entry_without_citation(editor_client, timeline):
    TimelineEntryFactory(timeline=timeline, position=3, text="Nobody reported it.")

    response = editor_client.get(change_url(timeline))

    assert response.status_code == 200
    assert "⚠ No citation" in response.text


def test_swapping_two_entries_reorders_them(editor_client, client, timeline, parse_html):
    first, second = timeline.entries_by_position
    data = timeline_form(editor_client, timeline)
    data[f"entries-{inline_index(data, 'entries', 'id', first.pk)}-position"] = "2"
    data[f"entries-{inline_index(data, 'entries', 'id', second.pk)}-position"] = "1"

    response = editor_client.post(change_url(timeline), data)

    assert response.status_code == 302, error_text(response)
    assert list(timeline.entries.order_by("position")) == [second, first]
    page = parse_html(client.get(timeline.get_absolute_url()))
    texts = [div.text for div in page.find_all("div", class_="timeline__text")]
    assert texts == ["Agenda set.", "Envoys land."]


def test_moving_an_entry_to_a_free_position_reorders_them(editor_client, timeline):
    """Moving items to positions no item holds yet saves too."""
    first, second = timeline.entries_by_position
    data = timeline_form(editor_client, timeline)
    data[f"entries-{inline_index(data, 'entries', 'id', first.pk)}-position"] = "4"
    data[f"entries-{inline_index(data, 'entries', 'id', second.pk)}-position"] = "3"

    response = editor_client.post(change_url(timeline), data)

    assert response.status_code == 302, error_text(response)
    assert list(timeline.entries.order_by("position")) == [second, first]


def test_editing_an_entry_shows_on_the_story_page_at_once(editor_client, client, timeline):
    story = timeline.stories_showing[0]
    assert "Envoys land." in client.get(story.get_absolute_url()).text  # now cached
    data = timeline_form(editor_client, timeline)
    index = inline_index(data, "entries", "id", timeline.entries_by_position[0].pk)
    data[f"entries-{index}-text"] = "Envoys **land** in Havana."

    response = editor_client.post(change_url(timeline), data)

    assert response.status_code == 302, error_text(response)
    page = client.get(story.get_absolute_url()).text
    assert "Envoys <strong>land</strong> in Havana." in page
    assert "Envoys land." not in page


def test_removing_a_citation_keeps_the_article(editor_client, timeline):
    first = timeline.entries_by_position[0]
    data = timeline_form(editor_client, timeline)
    data[f"entries-{inline_index(data, 'entries', 'id', first.pk)}-citations"] = [
        str(timeline.offered[2].pk)
    ]

    response = editor_client.post(change_url(timeline), data)

    assert response.status_code == 302, error_text(response)
    assert list(first.citations.all()) == [timeline.offered[2]]
    assert Article.objects.filter(pk=timeline.offered[0].pk).exists()


def test_opening_a_timeline_form_keeps_the_public_page_cache(editor_client, timeline):
    version = ContentVersion.current().version

    editor_client.get(change_url(timeline))

    assert ContentVersion.current().version == version


def test_entry_citations_are_numbered_as_the_timeline_page_numbers_them(editor_client, timeline):
    """[n] in source order, as on the page: the first published story's sources, in their
    order, then the other stories' (the citations of a new entry too)."""
    havana, bogota = timeline.stories_showing
    Story.objects.filter(pk=bogota.pk).update(published_at=havana.published_at + HOUR)
    response = editor_client.get(change_url(timeline))

    (entries,) = response.context["inline_admin_formsets"]
    for form in [*entries.formset.forms, entries.formset.empty_form]:
        field = form["citations"]
        labels = [choice.choice_label for choice in field]
        assert labels == [
            f"[1] {timeline.offered[0].outlet.name}: Envoys land",
            f"[2] {timeline.offered[1].outlet.name}: Agenda agreed",
            f"[3] {timeline.offered[2].outlet.name}: Reaction pours in",
        ]


def test_what_each_entry_cites_is_shown_numbered_in_source_order(editor_client, timeline):
    havana, bogota = timeline.stories_showing
    Story.objects.filter(pk=bogota.pk).update(published_at=havana.published_at + HOUR)
    first, second = timeline.entries_by_position
    EntryCitationFactory(entry=first, article=timeline.offered[2])

    response = editor_client.get(change_url(timeline))

    (entries,) = response.context["inline_admin_formsets"]
    cites = entries.opts.cites
    assert cites(first) == (
        f"[1] {timeline.offered[0].outlet.name}: Envoys land; "
        f"[3] {timeline.offered[2].outlet.name}: Reaction pours in"
    )
    assert cites(second) == f"[2] {timeline.offered[1].outlet.name}: Agenda agreed"
