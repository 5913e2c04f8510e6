"""Everything one sandbox holds: data, modes, accepted credentials, faults, counters, clocks.

Tests: tests/sandbox/test_jira.py
"""

from __future__ import annotations

import gc
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from goldenthread.sandbox.confluence_store import ConfluenceStore
from goldenthread.sandbox.dataset import build_dataset
from goldenthread.sandbox.faults import Faults, Stats
from goldenthread.sandbox.jira_render_json import RenderCache
from goldenthread.sandbox.model import SandboxData, SandboxIssue

Mode = Literal["cloud", "datacenter"]
DEFAULT_USER = "demo@example.com"
DEFAULT_TOKEN = "sandbox-token"
FREEZE_GC_FROM = 2000


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class SandboxState:
    data: SandboxData
    jira_mode: Mode = "cloud"
    confluence_mode: Mode = "cloud"
    user: str = DEFAULT_USER
    token: str = DEFAULT_TOKEN  # basic-auth API token; on Data Center also accepted as a Bearer PAT
    faults: Faults = field(default_factory=Faults)
    stats: Stats = field(default_factory=Stats)
    confluence: ConfluenceStore = field(default_factory=ConfluenceStore)
    clock: Callable[[], datetime] = _utc_now  # timestamps of writes (updated, changelog, page versions)
    monotonic: Callable[[], float] = time.monotonic  # the per-issue write-limit window
    write_limit: int | None = None  # writes one issue may take per window before 429; None = off
    write_window_s: float = 30.0
    write_retry_after: int = 5
    dc_deployment_type: str = "Server"  # Jira DC answers "Server" on many versions; set "DataCenter" to vary
    search_cache: OrderedDict[tuple[str, int], list[SandboxIssue]] = field(default_factory=OrderedDict)
    render_cache: RenderCache = field(default_factory=OrderedDict)  # encoded issues (jira_render_json.render_issues_json)

    @classmethod
    def build(cls, seed: int = 7, issues: int = 300, months: int = 12, now: datetime | None = None,
              jira_mode: Mode = "cloud", confluence_mode: Mode = "cloud", hostile: bool = False,
              **kwargs: object) -> SandboxState:
        """A state over a freshly generated dataset (`hostile`: with the escaping test corpus in its
        text, see `build_dataset`). Either way of constructing a state also gets a Confluence
        space `IPM` with a home page and the parent page "Internal products"."""
        data = build_dataset(seed=seed, issues=issues, months=months, now=now, hostile=hostile)
        # kwargs are the dataclass's other fields, checked by its constructor at run time
        return cls(data=data, jira_mode=jira_mode, confluence_mode=confluence_mode, **kwargs)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        if not self.confluence.spaces:  # SandboxState(data=...) gets the same seeded space as build()
            self.confluence = ConfluenceStore.seeded(self.data.users, self.data.api_user, now=self.data.now)
        if len(self.data.issues) >= FREEZE_GC_FROM:
            # Bench-sized datasets: every request would pay for cyclic-GC scans of objects that live as long as
            # the sandbox. Freezing moves them out of the collector's view (and they are never freed).
            gc.collect()
            gc.freeze()

    def bump(self) -> None:
        """A write happened: cached searches are stale."""
        self.data.generation += 1
