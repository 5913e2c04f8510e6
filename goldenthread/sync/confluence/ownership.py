"""Which Confluence pages are goldenthread's, and how a rerun recognises its own last write.

Ownership: only pages goldenthread created are its own: they carry its page property
(`goldenthread`), or the store recorded the id of the page it created. A page with a configured
title that goldenthread did not create (a person's hand-written "Roadmap") is never written:
`PageNotOurs` names `--adopt TITLE`, which hands it over explicitly.

Its own last write: every page version goldenthread writes carries the page hash in its version
message (`[gt:<16 hex>]`) and every attachment it uploads carries its own hash in its comment. A
run killed between a page write and its property write leaves the page at a version whose marker
is the hash the rerun computes: the rerun finishes the job (the property, any attachment whose
comment does not match) and writes no new version. Creation takes no version message, so a
create is preceded by a store record (`CREATING`, with the hash) that vouches for version 1.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Collection, Mapping
from typing import Any, Literal

from goldenthread.sync.confluence.client import LivePage, PageProperty
from goldenthread.sync.errors import RunFailed

VERSION_MESSAGE = "goldenthread: data changed"
#: `last_result` of a page record written just before its page is created
CREATING = "creating"
_MARKER = re.compile(r"\[gt:([0-9a-f]{16})\]")

Owner = Literal["ours", "adopted", "stranger"]


class PageNotOurs(RunFailed):
    """A page with a configured title exists, and goldenthread did not create it."""


def build_marker(digest: str) -> str:
    return f"[gt:{digest[:16]}]"


def build_version_message(digest: str) -> str:
    return f"{VERSION_MESSAGE} {build_marker(digest)}"


def build_attachment_comment(digest: str) -> str:
    return f"goldenthread {build_marker(digest)}"


def parse_marker(text: str | None) -> str | None:
    """The 16 hex digits of a goldenthread marker in a version message or attachment comment."""
    found = _MARKER.search(text or "")
    return found.group(1) if found else None


def compute_owner(live: LivePage, prop: PageProperty | None, rec: Mapping[str, Any], adopt: Collection[str]) -> Owner:
    if prop is not None or rec.get("page_id") == live.id:
        return "ours"
    # created by a run stopped before it could record the page id
    if rec.get("last_result") == CREATING and not rec.get("page_id") and live.version == 1 and rec.get("title") == live.title:
        return "ours"
    return "adopted" if live.title in adopt else "stranger"


def compute_own_last_write(live: LivePage, rec: Mapping[str, Any], digest: str) -> bool:
    """True when the live version is goldenthread's own write of exactly this content."""
    marker = parse_marker(live.message)
    if marker is not None:
        return marker == digest[:16]
    return (rec.get("last_result") == CREATING and rec.get("content_hash") == digest and live.version == 1
            and rec.get("page_id") in (None, live.id))


def build_not_ours_message(title: str, space: str, command: str) -> str:
    return (f"a page titled {title!r} already exists in space {space} and goldenthread did not create it; "
            f"it was left as it is. To let goldenthread take it over (its content is replaced on every "
            f"publish), run `{command} --adopt {shlex.quote(title)}`, or rename that page")
