"""If-None-Match as the download reads it: the quoted sha256 ETags it names, weak or strong."""

from __future__ import annotations

import pytest

from entrypoints.http.downloads import cached_hashes


@pytest.mark.parametrize(
    ("header", "hashes"),
    [
        (None, set()),
        ('"abc"', {"abc"}),
        (' "abc" , W/"def",ghi, "", *', {"abc", "def"}),
    ],
)
def test_the_hashes_an_if_none_match_header_names(header: str | None, hashes: set[str]) -> None:
    assert cached_hashes(header) == hashes
