"""Editor text to safe HTML: Markdown rendered by markdown-it-py, then sanitized by nh3.

Rendering happens when a text is saved (see the models' save()), not on every page view:
the stored HTML changes exactly when its text does.
"""

import nh3
from markdown_it import MarkdownIt

# CommonMark without raw HTML: editors write Markdown, never markup. nh3 then enforces an
# allow-list, so even a parser bug cannot let script, event handlers or javascript: URLs out.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})

ALLOWED_TAGS = {"p", "br", "em", "strong", "a", "code", "ul", "ol", "li", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text):
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    ).strip()
