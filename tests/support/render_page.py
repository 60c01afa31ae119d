"""Render a page in a headless Chromium (Qt WebEngine, from the PySide6-WebEngine wheel) and print what it shows.

Run as a subprocess, since Qt wants the main thread: ``python -m tests.support.render_page URL SELECTOR``.
It waits (polling, up to a deadline) until SELECTOR matches, then prints one JSON object: the text of
every match, the page's visible text and console, and every URL the page requested, so a test can tell that
nothing came from outside.
Playwright cannot drive this engine (it lacks CDP browser contexts) and Playwright's own browsers come
from a CDN, not a package registry.
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no screen
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")  # runs as root in CI

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)

DEADLINE_SECONDS = 90
POLL_MS = 250


class Recorder(QWebEngineUrlRequestInterceptor):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 - Qt's name
        self.urls.append(info.requestUrl().toString())


class Page(QWebEnginePage):
    """Keeps the page's console messages: a script error is what a blank page has to say."""

    def __init__(self, profile: QWebEngineProfile) -> None:
        super().__init__(profile)
        self.console: list[str] = []

    def javaScriptConsoleMessage(self, level: object, message: str, line: int, source: str) -> None:  # noqa: N802
        self.console.append(f"{source}:{line}: {message}")


def main(url: str, selector: str) -> int:
    app = QGuiApplication(sys.argv)
    profile = QWebEngineProfile()  # off the record: no cache or cookies left behind
    recorder = Recorder()
    profile.setUrlRequestInterceptor(recorder)
    page = Page(profile)
    deadline = time.monotonic() + DEADLINE_SECONDS
    result: dict[str, object] = {"texts": [], "requests": recorder.urls, "console": page.console}
    matches = f"Array.from(document.querySelectorAll({json.dumps(selector)})).map(e => e.textContent)"
    # as JSON text: PySide6 hands a JavaScript array back as an empty string
    script = f"JSON.stringify([{matches}, document.body ? document.body.innerText.slice(0, 2000) : ''])"

    def seen(answer: object) -> None:
        texts, body = json.loads(answer) if isinstance(answer, str) and answer else ([], "")
        result["body"] = body  # what the page shows instead, for a failing test's message
        if texts:
            result["texts"] = texts
            app.quit()
        elif time.monotonic() > deadline:
            app.quit()
        else:
            QTimer.singleShot(POLL_MS, poll)

    def poll() -> None:
        page.runJavaScript(script, 0, seen)

    page.loadFinished.connect(lambda _ok: poll())
    page.load(QUrl(url))
    app.exec()
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
