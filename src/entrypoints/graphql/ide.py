"""GraphiQL at ``GET /graphql`` (HTML requests, development only), every asset served by Lore.

Strawberry's own page loads GraphiQL from a CDN, which breaks offline and behind firewalls; the UMD
builds of GraphiQL 4.1.2 (the last release with them) and React 18.3.1 are vendored in
``ide_assets/`` with their licences. The asset URLs carry a hash of the files, so they can be cached
for a year and an upgrade still reaches every browser.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from litestar import Response, Router
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.static_files import create_static_files_router

ASSETS = "/graphql/ide"
ASSETS_DIR = Path(__file__).parent / "ide_assets"
_SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "ide.js")
_STYLES = ("graphiql.min.css", "ide.css")
# scripts and stylesheets only from Lore, nothing inline (styles React sets through the DOM are not
# inline markup, so they pass); the fonts and icons in GraphiQL's CSS are data: URIs
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@cache
def _version() -> str:
    digest = hashlib.sha256()
    for name in sorted(p.name for p in ASSETS_DIR.iterdir()):
        digest.update(name.encode() + b"\0" + (ASSETS_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def _url(name: str) -> str:
    return f"{ASSETS}/{name}?v={_version()}"


@cache
def _page() -> str:
    styles = "\n".join(f'    <link rel="stylesheet" href="{_url(name)}">' for name in _STYLES)
    scripts = "\n".join(f'    <script src="{_url(name)}"></script>' for name in _SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Lore GraphQL</title>
{styles}
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
{scripts}
  </body>
</html>
"""


def ide_page() -> Response[str]:
    return Response(
        _page(),
        media_type=MediaType.HTML,
        headers={"content-security-policy": _CSP, "cache-control": "no-cache"},
    )


def ide_assets() -> Router:
    return create_static_files_router(
        path=ASSETS,
        directories=[ASSETS_DIR],
        include_in_schema=False,
        send_as_attachment=False,
        cache_control=CacheControlHeader(max_age=365 * 24 * 3600, public=True, immutable=True),
    )
