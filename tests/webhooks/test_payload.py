"""The one payload decoder: bounds on depth, the same answer for the receiver and the worker."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from goldenthread.webhooks.payload import MAX_DEPTH, PayloadError, compute_depth_within, parse_payload


def nested(depth: int) -> str:
    """A JSON object whose deepest container sits `depth` levels down."""
    return '{"a":' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def test_accepts_up_to_max_depth_refuses_one_more() -> None:
    assert parse_payload(nested(MAX_DEPTH).encode()) == json.loads(nested(MAX_DEPTH))
    with pytest.raises(PayloadError, match=f"deeper than {MAX_DEPTH}"):
        parse_payload(nested(MAX_DEPTH + 1).encode())


@pytest.mark.parametrize("depth", [999, 1000, 1024, 1025, 5000])
def test_deep_documents_are_refused_not_a_recursion_error(depth: int) -> None:
    # 1,000 levels made the worker's json.loads raise RecursionError; 1,024 was orjson's limit
    for raw in (nested(depth), nested(depth).encode()):
        with pytest.raises(PayloadError):
            parse_payload(raw)


@pytest.mark.parametrize("raw,why", [
    (b"[1, 2]", "not a JSON object"), (b'"x"', "not a JSON object"), (b"{", "not valid JSON"),
    (b'{"a": "\xff"}', "not valid JSON"), (b"", "not valid JSON"), (b'{"a": NaN}', "not valid JSON"),
])
def test_what_is_not_an_object_is_refused_with_the_reason(raw: bytes, why: str) -> None:
    with pytest.raises(PayloadError, match=why):
        parse_payload(raw)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = json.dumps({"summary": "[" * 500 + "{" * 500})
    assert parse_payload(text)["summary"].startswith("[[[")


@given(st.recursive(st.integers() | st.text(max_size=3),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
                    max_leaves=40))
def test_depth_check_agrees_with_a_recursive_count(value: object) -> None:
    def depth(v: object) -> int:
        children = list(v.values()) if isinstance(v, dict) else v if isinstance(v, list) else None
        return 0 if children is None else 1 + max((depth(c) for c in children), default=0)

    d = depth(value)
    assert compute_depth_within(value, d) and (d == 0 or not compute_depth_within(value, d - 1))
