"""What publishing a page came to (`PageOutcome`, `PublishResult`), the page hash, and the
dry-run diff: shared by the publisher and the minutes pages.

Tests: tests/sync/confluence/test_publisher.py"""

from __future__ import annotations

import difflib
import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from goldenthread.reports.pages import PageModel
from goldenthread.reports.text import render_storage_text
from goldenthread.sync.confluence.client import LivePage

Outcome = Literal["created", "updated", "unchanged", "skipped-manual-edit", "would-create", "would-update", "failed"]


@dataclass
class PageOutcome:
    key: str
    title: str
    outcome: Outcome
    url: str = ""
    page_id: str = ""
    version: int = 0
    manual_edit: bool = False
    edited_version: int | None = None  # the version that holds a person's edit (page history)
    attachments_uploaded: int = 0
    diff: str = ""
    note: str = ""


@dataclass
class PublishResult:
    pages: list[PageOutcome] = field(default_factory=list)
    models: list[PageModel] = field(default_factory=list)  # what was rendered (previews show these)

    @property
    def writes(self) -> int:
        return sum(p.outcome in ("created", "updated") for p in self.pages)

    @property
    def failed(self) -> list[PageOutcome]:
        return [p for p in self.pages if p.outcome == "failed"]

    def render_failure(self) -> str:
        """One line naming every page that failed and why ("" when none did)."""
        if not self.failed:
            return ""
        what = "; ".join(f"{p.title}: {p.note}" for p in self.failed)
        return f"{len(self.failed)} of {len(self.pages)} page(s) failed ({what}); the others were published"


def compute_page_hash(model: PageModel) -> str:
    return hashlib.sha256(f"{model.title}\0{model.content_hash}".encode()).hexdigest()


def render_diff_lines(storage: str) -> list[str]:
    """Storage split at block boundaries (storage is one line): the fallback for a live page
    whose storage cannot be read as text."""
    split = re.sub(r"(?=<(?:h[1-6]|p|tr|table|ul|li|hr|ac:structured-macro|ac:image|ac:task-list|ac:task)[ >/])", "\n", storage)
    return [line for line in split.splitlines() if line]


def _text_lines(storage: str, people: Mapping[str, str]) -> list[str]:
    try:
        return render_storage_text(storage, people)
    except ET.ParseError:  # markup someone saved that we cannot read: show the markup itself
        return render_diff_lines(storage)


def render_diff(model: PageModel, live: LivePage | None) -> str:
    """A unified diff of the page's text, what readers see (not its storage markup): the live
    page against the one this run would write."""
    before = _text_lines(live.storage or "", model.people) if live else []
    name = f"{model.title} (live)" if live else f"{model.title} (does not exist yet)"
    lines = difflib.unified_diff(before, _text_lines(model.storage, model.people), name, f"{model.title} (new)",
                                 lineterm="", n=1)
    return "\n".join(lines)
