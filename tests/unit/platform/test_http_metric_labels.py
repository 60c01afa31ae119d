"""HTTP metric labels stay a bounded set whatever a client sends as its method."""

from __future__ import annotations

from adapters.metrics import http


def test_unknown_methods_share_one_label() -> None:
    for n in range(50):
        http.observe_http_request("/x", f"M{n}", 200, 0.01)
        http.request_started(f"M{n}")
        http.request_ended(f"M{n}")
    http.observe_http_request("/x", "GET", 200, 0.01)

    assert set(http._attributes["/x"]) == {"_OTHER", "GET"}
    assert not {m for m in http._active_attributes if m.startswith("M")}
