"""An HTML page's main content: navigation, banners, footers, sidebars, forms and scripts are cut before conversion.

Extraction libraries turn every visible element into text; a page's menu and footer then land in each chunk's
neighbourhood and match every query about "privacy" or "contact". This pass keeps the ``<main>`` element when the
page has one and drops page-level boilerplate elsewhere; a header or footer inside an article is its content.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

_ALWAYS_DROPPED = frozenset(
    {"head", "script", "style", "noscript", "template", "nav", "aside", "form", "iframe", "svg", "button", "select"}
)
_PAGE_LEVEL = frozenset({"header", "footer"})  # boilerplate only outside an article or section
_CONTENT_CONTAINERS = frozenset({"main", "article", "section"})
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)


class _MainContent(HTMLParser):
    def __init__(self, *, main_only: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._main_only = main_only
        self._open: list[tuple[str, bool, bool]] = []  # (tag, drops its content, is the main element)
        self._dropping = 0
        self._in_main = 0
        self._containers = 0

    def _kept(self) -> bool:
        return not self._dropping and (self._in_main > 0 or not self._main_only)

    def _drops(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if tag in _ALWAYS_DROPPED or (attrs.get("role") or "").lower() in _BOILERPLATE_ROLES:
            return True
        if (attrs.get("aria-hidden") or "").lower() == "true" or "hidden" in attrs:
            return True
        return tag in _PAGE_LEVEL and not self._containers

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag in _VOID:
            if self._kept():
                self.out.append(self.get_starttag_text() or "")
            return
        drops = self._drops(tag, named)
        is_main = tag == "main" or (named.get("role") or "").lower() == "main"
        self._open.append((tag, drops, is_main))
        if self._kept() and not drops and not is_main:
            self.out.append(self.get_starttag_text() or "")
        self._dropping += drops
        self._in_main += is_main
        self._containers += tag in _CONTENT_CONTAINERS

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._kept() and not self._drops(tag, dict(attrs)):
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if not any(name == tag for name, _, _ in self._open):
            return  # a stray end tag
        while self._open:
            name, drops, is_main = self._open.pop()
            self._dropping -= drops
            self._in_main -= is_main
            self._containers -= name in _CONTENT_CONTAINERS
            if self._kept() and not drops and not is_main:
                self.out.append(f"</{name}>")
            if name == tag:
                return

    def handle_data(self, data: str) -> None:
        if self._kept():
            self.out.append(html.escape(data, quote=False))


def main_content(page: str) -> str:
    """The page's content as HTML, without the boilerplate around it."""
    lowered = page.lower()
    main_only = "<main" in lowered or 'role="main"' in lowered
    parser = _MainContent(main_only=main_only)
    parser.feed(page)
    parser.close()
    kept = "".join(parser.out)
    if main_only and not kept.strip():  # a <main> mentioned in a script or comment, not a real one
        parser = _MainContent(main_only=False)
        parser.feed(page)
        parser.close()
        kept = "".join(parser.out)
    return f"<html><body>{kept}</body></html>"
