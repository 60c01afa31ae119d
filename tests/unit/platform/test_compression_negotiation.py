"""Which encoding an Accept-Encoding header gets: q-values decide, brotli wins a tie, q=0 refuses."""

from __future__ import annotations

import pytest
from litestar.enums import CompressionEncoding

from entrypoints.http.compression import negotiate

BR, GZIP = CompressionEncoding.BROTLI, CompressionEncoding.GZIP


@pytest.mark.parametrize(
    ("accept_encoding", "expected"),
    [
        ("gzip, deflate, br", BR),
        ("br;q=0.5, gzip", GZIP),
        ("gzip;q=0.8, br;q=0.9", BR),
        ("br;q=0, gzip", GZIP),
        ("BR;Q=1", BR),
        ("gzip", GZIP),
        ("*", BR),
        ("*;q=0.5, br;q=0", GZIP),
        ("gzip;q=0, br;q=0", None),
        ("br;q=nonsense, gzip;q=0.1", GZIP),
        ("identity", None),
        ("", None),
    ],
)
def test_q_values_pick_the_encoding(accept_encoding: str, expected: CompressionEncoding | None) -> None:
    assert negotiate(accept_encoding) == expected
