"""The ``/schema`` docs page, with Swagger UI's JS and CSS served from the installed package.

Litestar's render plugins load their assets from a CDN, so the page was blank offline or behind a
strict firewall; ``swagger-ui-bundle-v2`` ships the same files inside the wheel.
"""

from __future__ import annotations

from litestar import Router
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/schema/assets"


def docs_plugin() -> SwaggerRenderPlugin:
    """Swagger UI at ``/schema`` (and ``/schema/swagger``), every asset from ``ASSETS``."""
    return SwaggerRenderPlugin(
        js_url=f"{ASSETS}/swagger-ui-bundle.js",
        css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
        path="/swagger",
    )


def docs_assets() -> Router:
    return create_static_files_router(
        path=ASSETS, directories=[swagger_ui_path], include_in_schema=False, send_as_attachment=False
    )
