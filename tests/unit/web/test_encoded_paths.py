"""Routing on the undecoded path: segments split where the client wrote ``/``, no more."""

from __future__ import annotations

from urllib.parse import quote, unquote

from hypothesis import given
from hypothesis import strategies as st

from web.compat.encoded_paths import routing_path, unescape


def test_an_encoded_slash_stays_inside_its_segment() -> None:
    """``%2F`` and ``%25`` stay escaped; every other escape is decoded as before."""
    raw = b"/og/v2/alerts/db%2Fprimary%20x%25/close"
    routed = routing_path(raw, unquote(raw.decode()))
    assert routed == "/og/v2/alerts/db%2Fprimary x%25/close"
    assert [unescape(s) for s in routed.split("/")] == [
        "",
        "og",
        "v2",
        "alerts",
        "db/primary x%",
        "close",
    ]


def test_without_escapes_the_routing_path_is_the_decoded_path() -> None:
    """No ``%`` in the raw path: routing sees exactly what it saw before."""
    assert routing_path(b"/v2/alerts/a b", "/v2/alerts/a b") == "/v2/alerts/a b"
    assert routing_path(None, "/v2/alerts/x") == "/v2/alerts/x"


def test_a_raw_path_that_does_not_match_falls_back_to_the_decoded_path() -> None:
    """A rewritten path (or a test client's) is routed as decoded, ``%`` escaped."""
    assert routing_path(b"/elsewhere%2F", "/v2/alerts/a%2Fb") == "/v2/alerts/a%252Fb"
    assert unescape(routing_path(b"/elsewhere%2F", "/v2/alerts/a%2Fb")) == "/v2/alerts/a%2Fb"


@given(st.lists(st.text(min_size=1), min_size=1, max_size=5))
def test_each_encoded_segment_is_one_segment_again(segments: list[str]) -> None:
    """Any segments, each percent-encoded by the client, come back one for one."""
    raw = "/" + "/".join(quote(s, safe="") for s in segments)
    routed = routing_path(raw.encode(), unquote(raw))
    assert segments == [unescape(s) for s in routed.split("/")[1:]]
    assert unquote(raw) == unescape(routed)
