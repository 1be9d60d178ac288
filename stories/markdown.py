"""Editor text to safe HTML: Markdown rendered by markdown-it-py, then sanitized by nh3.

Rendering happens when a text is saved (RendersMarkdown), not on every page view: the stored
HTML changes exactly when its text does.
"""

import nh3
from markdown_it import MarkdownIt

# CommonMark without raw HTML: editors write Markdown, never markup. nh3 then enforces an
# allow-list, so even a parser bug cannot let script, event handlers or javascript: URLs out.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "code", "ul", "ol", "li", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


# Texts rendered ahead of their save by the processes that read story files
# (stories.documents.read_stories), each taken once. render_markdown() is a pure function of
# the text, so its result is the same whichever process runs this code.
_rendered_ahead = {}


class RendersMarkdown:
    """A model with Markdown columns and their HTML, RENDERED_FIELDS ({HTML column: its
    Markdown column}), rendered on save() and on bulk writes (newsroom.shows)."""

    RENDERED_FIELDS = {}

    def save(self, *args, **kwargs):
        self.render()
        super().save(*args, **kwargs)

    def render(self):
        for html, text in self.RENDERED_FIELDS.items():
            setattr(self, html, render_markdown(getattr(self, text)))


def render_markdown(text):
    html = _rendered_ahead.pop(text, None)
    return html if html is not None else _render(text)


def render_ahead(texts):
    """{text: HTML} of texts another process is about to save (see rendered_ahead())."""
    return {text: _render(text) for text in texts}


def rendered_ahead(rendered):
    """Take render_ahead()'s results: the next render_markdown() of each text uses them."""
    _rendered_ahead.update(rendered)


def forget_ahead():
    """Drop what was rendered ahead and not used (texts of stories left unchanged)."""
    _rendered_ahead.clear()


def _render(text):
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    ).strip()
