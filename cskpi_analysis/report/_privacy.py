"""Personal data (e-mail addresses, phone numbers) in a page, also inside encoded payloads."""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable, Iterator
from urllib.parse import unquote

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.(?!(?:png|jpe?g|gif|svg|webp|ico|js|mjs|css|json|woff2?|ttf|wasm|map)\b)[A-Za-z]{2,24}\b"
)


_PHONE = re.compile(
    r"(?<![\w+.:/-])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,4}"
    r"|\(\d{3}\) ?\d{3}-\d{4}|\d{3}-\d{3}-\d{4})(?![\w-])"
)


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{24,}={0,2}")


def _json_unescape(text: str) -> str:
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return re.sub(r"\\([\"\\/])", r"\1", text)


def decoded_views(text: str, depth: int = 4) -> Iterator[str]:
    """``text`` and what it decodes to: JSON escapes, HTML entities, URL encoding, base64.

    Each decoding is applied repeatedly (payloads are often escaped several
    times over); base64 runs that decode to UTF-8 text are decoded in turn.
    """
    return breadth_first(text, depth, lambda view: [unquote(html.unescape(_json_unescape(view))), *_base64_texts(view)])


def breadth_first(start: str, depth: int, expand: Callable[[str], list[str]]) -> Iterator[str]:
    """``start`` and the texts ``expand`` derives from it, level by level up to ``depth``, each once."""
    seen: set[str] = set()
    frontier = [start]
    for _ in range(depth):
        next_frontier: list[str] = []
        for view in frontier:
            if view in seen:
                continue
            seen.add(view)
            yield view
            next_frontier += expand(view)
        frontier = next_frontier


def _base64_texts(text: str) -> list[str]:
    """The runs of base64 in ``text`` that decode to UTF-8 text, decoded."""
    texts = []
    for run in _BASE64_RUN.findall(text):
        try:
            texts.append(base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
    return texts


def _mask(value: str) -> str:
    if "@" in value:
        local, domain = value.split("@", 1)
        return f"{local[:1]}…@{domain}"
    digits = re.sub(r"\D", "", value)
    return f"…{digits[-2:]} ({len(digits)} digits)"


def find_personal_data(text: str) -> list[str]:
    """E-mail addresses and phone numbers in ``text`` or any payload it encodes, masked.

    Returns
    -------
    list of str
        Descriptions such as ``"e-mail address j…@example.com"``; empty when clean.
    """
    found: dict[str, None] = {}
    for view in decoded_views(text):
        for match in _EMAIL.findall(view):
            found[f"e-mail address {_mask(match)}"] = None
        for match in _PHONE.findall(view):
            if 8 <= len(re.sub(r"\D", "", match)) <= 15:
                found[f"phone number {_mask(match)}"] = None
    return list(found)
