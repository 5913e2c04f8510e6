"""Encoded search pages for the sandbox: the bytes `JSONResponse(render_issue(...))` would send, made
cheaply. Paging 20,000 issues must not cost the sandbox more than the latency it simulates (it
shares the machine's cores with the sync under test), so:

- each issue is encoded once per (data generation, field set, flavor, base, changelog) and kept
  (`render_issue` itself shares the rendered users, statuses and options between issues);
- pages are assembled from the encoded issues without re-encoding them, as bytes (no
  jsonable_encoder, no JSONResponse round trip).

Tests: tests/sandbox/test_jira.py
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from goldenthread.sandbox.jira_render import Flavor, render_issue
from goldenthread.sandbox.model import SandboxData, SandboxIssue

RenderCache = OrderedDict[tuple[Any, ...], dict[int, bytes]]
_RENDER_VIEWS = 4  # (fields, flavor, base, changelog) combinations kept; a sync uses one or two


def encode_json(value: Any) -> bytes:
    """What Starlette's JSONResponse sends, without its per-response overhead."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode("utf-8")


def render_issues_json(issues: list[SandboxIssue], data: SandboxData, wanted: set[str] | None, flavor: Flavor,
                       base: str, changelog: bool, cache: RenderCache) -> list[bytes]:
    """`encode_json(render_issue(...))` of each issue, cached per (data generation, field set, flavor,
    base, changelog). Every write bumps the generation, which drops the cache."""
    view = (id(data), data.generation, flavor, base, None if wanted is None else frozenset(wanted), changelog)
    per_issue = cache.get(view)
    if per_issue is None:
        for old in [k for k in cache if k[:2] != view[:2]]:
            del cache[old]  # stale generation: never read again
        while len(cache) >= _RENDER_VIEWS:
            cache.popitem(last=False)
        per_issue = cache[view] = {}
    out = []
    for issue in issues:
        got = per_issue.get(issue.id)
        if got is None:
            got = per_issue[issue.id] = encode_json(render_issue(issue, data, wanted, flavor, base, changelog))
        out.append(got)
    return out


def build_json_with_issues(head: dict[str, Any], issues: list[bytes], tail: dict[str, Any]) -> bytes:
    """`{**head, "issues": [...], **tail}` encoded, splicing the already-encoded issues in."""
    start = encode_json(head)[:-1] + (b',"issues":[' if head else b'"issues":[')
    end = encode_json(tail)[1:]
    return start + b",".join(issues) + (b"]," + end if tail else b"]}")
