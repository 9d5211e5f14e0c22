"""Making an export render without network: marimo's frontend copied beside it, and every remote reference found."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

from cskpi_analysis.report._privacy import _base64_texts, _json_unescape, breadth_first

ASSETS_DIR = "assets"


CDN_PATTERN = re.compile(r"https://cdn\.jsdelivr\.net/npm/@marimo-team/frontend@[^/\"'\s]+/dist/")


_FRONTEND_ROOT_FILES = ("favicon.ico", "apple-touch-icon.png", "manifest.json")


def frontend_dir() -> Path:
    """The frontend shipped inside the installed marimo wheel (``marimo/_static``)."""
    import marimo

    return Path(marimo.__file__).parent / "_static"


def copy_frontend(dest: Path) -> Path:
    """Copy marimo's frontend into ``dest/assets`` once, for every report to share.

    All of ``_static/assets`` is copied (about 27 MB): following the static and
    dynamic imports from the entry module reaches every one of its files, so any
    smaller subset would be a guess that breaks a lazily loaded chunk.

    Returns
    -------
    Path
        The ``assets`` folder.
    """
    static = frontend_dir()
    assets = Path(dest) / ASSETS_DIR
    shutil.copytree(static / "assets", assets)
    for name in _FRONTEND_ROOT_FILES:
        if (static / name).exists():
            shutil.copy2(static / name, assets / name)
    return assets


def make_offline(page: str, assets_url: str = ASSETS_DIR + "/") -> str:
    """Point an exported page's frontend URLs at the local ``assets/`` copy.

    ``https://cdn.jsdelivr.net/npm/@marimo-team/frontend@V/dist/assets/x.js``
    becomes ``assets/x.js`` and ``.../dist/favicon.ico`` becomes
    ``assets/favicon.ico``. Chunks that the entry module imports later are
    resolved against its own URL, so they load from ``assets/`` too.
    """
    page = re.sub(CDN_PATTERN.pattern + "assets/", assets_url, page)
    return CDN_PATTERN.sub(assets_url, page)


#: Attributes whose URL the browser fetches while rendering (``href`` too, except on links).
_FETCHED_ATTRIBUTES = frozenset(
    {"src", "srcset", "imagesrcset", "poster", "background", "data", "codebase", "lowsrc", "dynsrc",
     "href", "xlink:href", "action", "formaction", "manifest", "icon"}
)  # fmt: skip


_NAVIGATION_TAGS = frozenset({"a", "area"})
"""Tags whose ``href`` is only followed on a click: not fetched to render the page."""


_TAG = re.compile(r"""<([a-zA-Z][\w:.-]*)((?:[^<>"']++|"[^"]*+"|'[^']*+')*+)>""")


_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


_REMOTE_URL = re.compile(r"^(?:(?:https?|ftp|wss?):|[\\/]{2}(?=[^\\/\s]))", re.IGNORECASE)


_CSS_URL = re.compile(r"""(?:url\(\s*|@import\s+)["']?\s*((?:https?:)?[\\/]{2}[^"')\s]+)""", re.IGNORECASE)


_ANY_URL = re.compile(r"""(?:https?:)?//[^\s"'<>`\\)]+""", re.IGNORECASE)


_CDN_HOST = re.compile(r"""(?:https?:)?//cdn\.jsdelivr\.net[^"'\s)]*""")


_TABLE_URL = re.compile(r"https?://[^\s\"<>`{}|\\^]+")


_TABLE_IMAGE = re.compile(r"\.(?:png|jpe?g|gif|webp|svg|ico)(?:\?.*)?$|avatars\.githubusercontent\.com", re.IGNORECASE)
"""marimo's tables (0.25) show a URL in a cell's text as an ``<img>`` when it ends in an image
extension or is on ``avatars.githubusercontent.com``: fetched as soon as the row is displayed."""


def _attribute_value(raw: str) -> str:
    return raw[1:-1] if len(raw) > 1 and raw[0] in "\"'" and raw[-1] == raw[0] else raw


def _url_value(raw: str) -> str:
    # browsers strip surrounding spaces and drop tabs and newlines anywhere in a URL
    return re.sub(r"[\t\n\r]", "", _attribute_value(raw)).strip(" \f\x00")


def _fetched_urls(view: str) -> Iterator[str]:
    for tag, attributes in _TAG.findall(view):
        tag = tag.lower()
        for name, raw in _ATTRIBUTE.findall(attributes):
            name, value = name.lower(), _url_value(html.unescape(raw))
            if name == "href" and tag in _NAVIGATION_TAGS:
                continue
            if name in _FETCHED_ATTRIBUTES:
                candidates = [c.split()[0] for c in value.split(",") if c.split()] if "srcset" in name else [value]
                yield from (c for c in candidates if _REMOTE_URL.match(c))
            elif name.startswith("on") or name == "style" or (tag == "meta" and name == "content"):
                yield from _ANY_URL.findall(value)  # a handler's fetch(), a style's url(), a refresh
    yield from _CSS_URL.findall(view)
    for url in _TABLE_URL.findall(view):
        if _TABLE_IMAGE.search(url):
            yield url


def _markup_views(page: str, depth: int = 5) -> Iterator[str]:
    """``page`` and the payloads in it that a browser or marimo's frontend may parse as HTML.

    Like :func:`decoded_views` (JSON escapes, URL encoding, base64 runs), except for HTML
    entities: a browser decodes them in attribute values, which marimo's elements read as
    HTML or JSON, but in text they stay text. So ``data-label="&lt;img src=...&gt;"`` gives
    a view holding ``<img src=...>``, while ``<p>&lt;img src=...&gt;</p>`` (a name escaped
    by :func:`cskpi_analysis.narrative.user_text`, shown as text) gives none.
    """

    def expand(view: str) -> list[str]:
        attributes = [
            html.unescape(_attribute_value(raw))
            for _, tag_attributes in _TAG.findall(view)
            for _, raw in _ATTRIBUTE.findall(tag_attributes)
            if "&" in raw or "<" in raw
        ]
        return [unquote(_json_unescape(view)), *attributes, *_base64_texts(view)]

    return breadth_first(page, depth, expand)


def remote_references(page: str) -> list[str]:
    """URLs the browser would fetch from the network to render ``page``.

    Looks at the page and at every payload in it that may be parsed as HTML
    (:func:`_markup_views`), so that an ``<img src="https://...">`` inside marimo's
    embedded JSON (quotes written ``\\"`` or ``\\u0022``, slashes ``\\/``) or inside an
    HTML-escaped attribute value (``&quot;``, ``&#34;``) is found as well as one in the
    page itself. Reports

    - URL-valued attributes that are fetched to render (``src``, ``srcset``, ``poster``,
      ``data``, ``href`` of anything but an ``<a>``/``<area>`` link...), CSS ``url()`` and
      ``@import``, and URLs inside ``on*=`` handlers, ``style=`` and ``<meta content>``:
      ``http(s):``, ``ftp:``, ``ws(s):`` and protocol-relative (``//``, ``\\\\``) URLs;
    - ``http(s)`` URLs of images anywhere in the text: marimo's tables show them as images;
    - any mention of the CDN host marimo loads its frontend from.

    Links (``<a href>``) are followed only on a click and are not reported; ``$schema``
    URLs inside chart specs are identifiers, never fetched, and are not reported either.
    """
    found: set[str] = set()
    for view in _markup_views(page):
        found.update(_fetched_urls(view))
        found.update(_CDN_HOST.findall(view))
    return sorted(found)
