"""Editor Markdown to safe HTML: hostile input comes out inert, ordinary Markdown renders."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from stories.markdown import ALLOWED_TAGS, render_markdown

HOSTILE = {
    "script element": "<script>alert(1)</script>",
    "javascript link": "[x](javascript:alert(1))",
    "mixed-case javascript link": "[x](JaVaScRiPt:alert(1))",
    "javascript link with leading space": "[x]( javascript:alert(1))",
    "data link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript link": "[x](vbscript:msgbox(1))",
    "javascript image": "![x](javascript:alert(1))",
    "javascript autolink": "<javascript:alert(1)>",
    "javascript reference link": "[x][evil]\n\n[evil]: javascript:alert(1)",
    "img with onerror": "<img src=x onerror=alert(1)>",
    "link with onclick": '<a href="#" onclick="x()">click</a>',
    "svg with onload": "<svg onload=alert(1)>",
    "iframe": '<iframe src="https://evil.example.com/"></iframe>',
    "decimal entities": "[x]({}alert(1))".format("".join(f"&#{ord(c)};" for c in "javascript:")),
    "hex entities": "[x]({}alert(1))".format("".join(f"&#x{ord(c):X};" for c in "javascript:")),
    "named entity colon": "[x](javascript&colon;alert(1))",
    "entity tab inside scheme": "[x](java&#x09;script:alert(1))",
    "percent-encoded scheme": "[x](%6Aavascript:alert(1))",
    "title breaking out": '[x](https://example.com "a\\" onclick=\\"alert(1)")',
    "style element": "<style>body{display:none}</style>",
    "html comment": "<!-- <script>alert(1)</script> -->",
    "form": '<form action="https://evil.example.com/"><input name="q"></form>',
    "object": '<object data="https://evil.example.com/x.swf"></object>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
}
SAFE_SCHEMES = {"http", "https", "mailto", ""}


class _Elements(HTMLParser):
    """Every element (tag and attributes) a browser would build from the HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(html):
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def tags_without_values(html):
    """Each tag as written, its quoted attribute values emptied: what is left is markup."""
    return [re.sub(r"\"[^\"]*\"|'[^']*'", '""', tag) for tag in re.findall(r"<[^>]*>", html)]


def scheme(url):
    """The scheme a browser would act on: it ignores white space and control characters."""
    return urlsplit(re.sub(r"[\x00-\x20]", "", url)).scheme.lower()


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_markdown_renders_inert(text):
    html = render_markdown(text)

    for tag, attrs in elements(html):
        assert tag in ALLOWED_TAGS, html
        assert not [name for name in attrs if name.startswith("on")], html
        assert set(attrs) <= {"href", "title", "rel"}, html
        if "href" in attrs:
            assert scheme(attrs["href"]) in SAFE_SCHEMES, html
    assert "<script" not in html.lower()
    for tag in tags_without_values(html):
        assert not re.search(r"\son\w+\s*=", tag, re.I), html


@pytest.mark.parametrize(
    "text",
    ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>"],
)
def test_raw_html_is_shown_as_text(text):
    """Editors write Markdown, not markup: what looks like HTML is escaped, not dropped."""
    assert render_markdown(text) == f"<p>{text.replace('<', '&lt;').replace('>', '&gt;')}</p>"


def test_bold_and_emphasis_render():
    assert render_markdown("**bold** and *em*") == ("<p><strong>bold</strong> and <em>em</em></p>")


def test_https_link_renders_with_rel():
    assert render_markdown("[link](https://example.com)") == (
        '<p><a href="https://example.com" rel="nofollow noopener noreferrer">link</a></p>'
    )


def test_link_title_is_kept():
    (_, (tag, attrs)) = elements(render_markdown('[a](https://example.com "The title")'))
    assert tag == "a"
    assert attrs["title"] == "The title"


def test_mailto_link_renders():
    (_, (_, attrs)) = elements(render_markdown("[write](mailto:desk@example.com)"))
    assert attrs["href"] == "mailto:desk@example.com"


def test_lists_and_quotes_render():
    assert render_markdown("- one\n- two") == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"
    assert render_markdown("> quoted") == "<blockquote>\n<p>quoted</p>\n</blockquote>"


def test_inline_code_is_escaped():
    assert render_markdown("`<b>`") == "<p><code>&lt;b&gt;</code></p>"


@pytest.mark.parametrize("text", ["", None])
def test_empty_text_renders_nothing(text):
    assert render_markdown(text) == ""
