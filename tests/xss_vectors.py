"""Known cross-site scripting vectors, and the oracle that judges a rendered page.

VECTORS is the corpus tests/test_xss.py puts into every text field readers see. Each vector is
short enough (at most 90 characters) to fit the narrowest public field, a feed's name.

audit_html() reads a page the way a browser would start to (html.parser) and reports anything
that could run script: a <script> other than our own static file or JSON-LD, an event-handler
attribute, a javascript:/data:/vbscript: URL, a frame, plugin, <base> or refresh, inline style,
or an element our templates never write.
"""

import html
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

_DATA_HTML = "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="

# (id, text). Ids name the test cases; the text is stored exactly as written here.
_CORPUS = [
    # <script>, however it is spelled
    ("script-plain", "<script>alert(1)</script>"),
    ("script-mixed-case", "<ScRiPt>alert(1)</sCrIpT>"),
    ("script-nested", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    ("script-double-bracket", "<<script>script>alert(1)<</script>/script>"),
    ("script-remote-src", '<script src="https://evil.example/x.js"></script>'),
    ("script-unclosed", "<script>alert(1)"),
    ("script-slash-attribute", "<script/xss>alert(1)</script>"),
    ("script-in-comment", "<!--<script>alert(1)</script>-->"),
    # event handlers
    ("img-onerror", "<img src=x onerror=alert(1)>"),
    ("img-onerror-quoted", '<img src="x" onerror="alert(1)">'),
    ("img-onerror-unterminated", "<img src=x onerror=alert(1)//"),
    ("body-onload", "<body onload=alert(1)>"),
    ("div-onmouseover", '<div onmouseover="alert(1)">hover me</div>'),
    ("input-autofocus-onfocus", "<input autofocus onfocus=alert(1)>"),
    ("details-ontoggle", "<details open ontoggle=alert(1)>"),
    # SVG and MathML
    ("svg-onload", "<svg onload=alert(1)>"),
    ("svg-slash-onload", "<svg/onload=alert(1)>"),
    ("svg-script", "<svg><script>alert(1)</script></svg>"),
    ("math-xlink-href", '<math><a xlink:href="javascript:alert(1)">x</a></math>'),
    # frames, plugins, document-wide tags
    ("iframe-javascript", "<iframe src=javascript:alert(1)></iframe>"),
    ("iframe-srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("object-data", '<object data="javascript:alert(1)"></object>'),
    ("embed-data-url", f'<embed src="{_DATA_HTML}">'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("base-href", '<base href="https://evil.example/">'),
    ("link-import", '<link rel="import" href="https://evil.example/x.html">'),
    # style
    ("style-url-javascript", '<div style="background:url(javascript:alert(1))">x</div>'),
    ("style-expression", '<p style="width:expression(alert(1))">x</p>'),
    ("style-block", "<style>body{background:url(javascript:alert(1))}</style>"),
    # javascript:, data: and vbscript: URLs
    ("javascript-bare", "javascript:alert(1)"),
    ("javascript-link", '<a href="javascript:alert(1)">x</a>'),
    ("javascript-mixed-case", '<a href="JaVaScRiPt:alert(1)">x</a>'),
    ("javascript-decimal-entity", '<a href="&#106;avascript:alert(1)">x</a>'),
    ("javascript-hex-entities", '<a href="&#x6A;&#x61;vascript&#x3A;alert(1)">x</a>'),
    ("javascript-tab", '<a href="java\tscript:alert(1)">x</a>'),
    ("javascript-newline", '<a href="java\nscript:alert(1)">x</a>'),
    ("javascript-leading-space", '<a href=" javascript:alert(1)">x</a>'),
    ("javascript-url-encoded", "javascript%3Aalert%281%29"),
    ("javascript-leading-control", "\x01javascript:alert(1)"),
    ("data-url-link", f'<a href="{_DATA_HTML}">x</a>'),
    ("vbscript-link", '<a href="vbscript:msgbox(1)">x</a>'),
    ("form-formaction", '<form><button formaction="javascript:alert(1)">x</button></form>'),
    # template injection: text must never be evaluated as a template
    ("template-jinja-arithmetic", "{{7*7}}"),
    ("template-jinja-introspection", "{{ ''.__class__.__mro__[1].__subclasses__() }}"),
    ("template-django-debug", "{% debug %}"),
    ("template-django-settings", "{% load static %}{{ settings.SECRET_KEY }}"),
    ("template-dollar", "${7*7}"),
    # attribute breakouts
    ("attribute-double-quote", '" onmouseover="alert(1)'),
    ("attribute-single-quote", "' onmouseover='alert(1)"),
    ("attribute-unquoted", "x onmouseover=alert(1) x"),
    ("attribute-close-tag-single", "'><script>alert(1)</script>"),
    ("attribute-close-tag-double", '"><img src=x onerror=alert(1)>'),
    # breaking out of the JSON-LD script and out of XML feeds
    ("json-ld-close-script", "</script><script>alert(1)</script>"),
    ("json-ld-close-script-upper", "</SCRIPT ><script>alert(1)</script>"),
    ("json-ld-line-separators", "\u2028\u2029</script>alert(1)"),
    ("xml-cdata-end", "]]><script>alert(1)</script>"),
    ("xml-cdata-section", "<![CDATA[<script>alert(1)</script>]]>"),
    ("xml-entity-declaration", '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e;'),
    # encoded and malformed markup
    ("url-encoded-script", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    ("entity-encoded-script", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("fullwidth-brackets", "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e"),
    ("javascript-unicode-escapes", "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"),
    ("utf7-script", "+ADw-script+AD4-alert(1)+ADw-/script+AD4-"),
    ("vertical-tab-markup", "Line one\x0bline two <b>bold</b>"),
    # Markdown (key point bodies and timeline entries are Markdown)
    ("markdown-link-javascript", "[x](javascript:alert(1))"),
    ("markdown-image-javascript", "![x](javascript:alert(1))"),
    ("markdown-autolink-javascript", "<javascript:alert(1)>"),
    ("markdown-reference-javascript", "[x][1]\n\n[1]: javascript:alert(1)"),
    ("markdown-link-entity-tab", "[x](JaVa&#x09;ScRiPt:alert(1))"),
    ("markdown-link-colon-entity", "[x](javascript&colon;alert(1))"),
    ("markdown-link-data", f"[x]({_DATA_HTML})"),
    ("markdown-link-vbscript", "[x](vbscript:msgbox(1))"),
    ("markdown-link-title-breakout", '[x](https://example.com/ "t\\" onmouseover=\\"alert(1)")'),
    ("markdown-html-block", "<div>\n<script>alert(1)</script>\n</div>"),
    ("markdown-inline-html", "before <img src=x onerror=alert(1)> after"),
    ("markdown-code-span", "`<script>alert(1)</script>`"),
]

VECTORS = [text for _, text in _CORPUS]
VECTOR_IDS = [name for name, _ in _CORPUS]
VECTOR_PARAMS = [pytest.param(text, id=name) for name, text in _CORPUS]

# URLs a browser would run or render as a document; every URL field must refuse them.
UNSAFE_URLS = [
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("JaVaScRiPt:alert(1)", id="javascript-mixed-case"),
    pytest.param(" javascript:alert(1)", id="javascript-leading-space"),
    pytest.param("\tjavascript:alert(1)", id="javascript-leading-tab"),
    pytest.param("javascript://example.com/%0Aalert(1)", id="javascript-url-shaped"),
    pytest.param(_DATA_HTML, id="data"),
    pytest.param("vbscript:msgbox(1)", id="vbscript"),
]

# http(s) URLs that are valid but carry markup: they must stay inside their attribute.
PAYLOAD_URLS = [
    'https://example.com/"><script>alert(1)</script>',
    "https://example.com/'><svg/onload=alert(1)>",
    'https://example.com/?q="onmouseover="alert(1)',
    "https://example.com/</script><script>alert(1)</script>",
    "https://example.com/?a=1&b=<img/src=x/onerror=alert(1)>",
    'https://example.com/#"><iframe/src=javascript:alert(1)>',
    "https://example.com/?x=]]><script>alert(1)</script>",
    "https://example.com/`onmouseover=alert(1)`",
]

# Characters XML 1.0 cannot carry at all, not even as character references.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# --- The oracle ------------------------------------------------------------------------------

UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "cite",
    "codebase",
    "srcset",
    "lowsrc",
    "dynsrc",
    "ping",
    "xlink:href",
}
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "style"}
# Every element the public templates and the Markdown allow-list (stories/markdown.py)
# produce. Any other element on a page came out of content.
PAGE_TAGS = {
    "html", "head", "meta", "title", "link", "script", "body", "header", "nav", "main",
    "footer", "div", "section", "article", "figure", "figcaption", "form", "label", "input",
    "button", "h1", "h2", "p", "ul", "ol", "li", "a", "span", "strong", "em", "code",
    "blockquote", "br", "img", "time",
}  # fmt: skip
LINK_RELS = {"stylesheet", "alternate", "canonical", "icon"}


def normalize_url(value):
    """What a browser makes of an attribute URL: entities decoded, spaces and controls gone."""
    return re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(value)).lower()


@dataclass
class Audit:
    problems: list = field(default_factory=list)
    json_ld: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    attributes: list = field(default_factory=list)  # (tag, name, value)


class _Auditor(HTMLParser):
    def __init__(self, static_url):
        super().__init__(convert_charrefs=True)
        self.static_url = static_url
        self.audit = Audit()
        self.json_ld_text = None

    def problem(self, message):
        self.audit.problems.append(message)

    def handle_starttag(self, tag, attrs):
        audit = self.audit
        audit.tags.append(tag)
        values = {name: value or "" for name, value in attrs}
        for name, value in attrs:
            audit.attributes.append((tag, name, value or ""))
            if name.startswith("on"):
                self.problem(f"<{tag} {name}=...>: event handler attribute")
            if name in ("style", "srcdoc"):
                self.problem(f"<{tag} {name}=...>: {name} attribute")
            if name in URL_ATTRIBUTES and normalize_url(value or "").startswith(UNSAFE_SCHEMES):
                self.problem(f"<{tag} {name}={value!r}>: script URL")
        if tag not in PAGE_TAGS:
            self.problem(f"<{tag}>: an element no template writes")
        if tag in FORBIDDEN_TAGS:
            self.problem(f"<{tag}>: forbidden element")
        if tag == "meta" and "http-equiv" in values:
            self.problem(f"<meta http-equiv={values['http-equiv']!r}>")
        if tag == "link" and not set(values.get("rel", "").lower().split()) <= LINK_RELS:
            self.problem(f"<link rel={values.get('rel')!r}>")
        if tag == "script":
            self._script(values)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def _script(self, values):
        if "src" in values:
            if not values["src"].startswith(self.static_url) or values["src"].startswith("//"):
                self.problem(f"<script src={values['src']!r}>: not our static file")
            self.json_ld_text = None
        elif values.get("type") == "application/ld+json":
            self.json_ld_text = ""
        else:
            self.problem(f"<script {values}>: inline script")
            self.json_ld_text = None

    def handle_data(self, data):
        if self.json_ld_text is not None:
            self.json_ld_text += data

    def handle_endtag(self, tag):
        if tag == "script" and self.json_ld_text is not None:
            try:
                self.audit.json_ld.append(json.loads(self.json_ld_text))
            except ValueError as exc:
                self.problem(f"JSON-LD does not parse: {exc}")
            self.json_ld_text = None


def audit_html(content, static_url="/static/"):
    """Everything in a page that could run script; an empty Audit.problems is a pass."""
    if isinstance(content, bytes):
        content = content.decode()
    auditor = _Auditor(static_url)
    auditor.feed(content)
    auditor.close()
    return auditor.audit


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        self.tags.append(f"/{tag}")

    def handle_comment(self, data):
        self.tags.append("!--")

    def handle_decl(self, decl):
        self.tags.append("!")

    def unknown_decl(self, data):
        self.tags.append("!")

    def handle_data(self, data):
        self.text.append(data)


def read_as_html(fragment):
    """(tags, text): what a feed reader makes of a fragment it is told is HTML."""
    parser = _TextOnly()
    parser.feed(fragment)
    parser.close()
    return parser.tags, "".join(parser.text)
