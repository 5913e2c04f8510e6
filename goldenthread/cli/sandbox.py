"""`goldenthread sandbox`: the bundled Jira + Confluence emulator in the foreground, to try
`check`, `sync`, `publish` and `serve` by hand against it.

It prints the URLs and the environment to export in another shell, then serves until Ctrl-C.
The data lives in memory: stopping it forgets every write.
"""

from __future__ import annotations

import errno
import threading
from datetime import datetime
from typing import Literal

from rich.console import Console

from goldenthread.sandbox import SandboxState, start_sandbox
from goldenthread.sync.errors import BadUsage

Mode = Literal["cloud", "datacenter"]


def render_exports(jira_url: str, confluence_url: str, user: str, token: str, mode: Mode) -> list[str]:
    """The shell lines that point goldenthread at a sandbox (Data Center: a bearer token, no user)."""
    who = "" if mode == "datacenter" else user
    return [f"export JIRA_URL={jira_url} JIRA_USER={who} JIRA_TOKEN={token}",
            f"export CONFLUENCE_URL={confluence_url} CONFLUENCE_USER={who} CONFLUENCE_TOKEN={token}"]


def run_sandbox(console: Console, *, port: int, issues: int, seed: int, mode: Mode,
                stop: threading.Event | None = None, now: datetime | None = None) -> None:
    """Serve until Ctrl-C (or until `stop` is set: tests)."""
    console.print(f"building the sandbox backlog ({issues} issues, seed {seed}, {mode})", highlight=False)
    state = SandboxState.build(seed=seed, issues=issues, now=now, jira_mode=mode, confluence_mode=mode)
    try:
        sandbox = start_sandbox(state, port=port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise BadUsage(f"port {port} on 127.0.0.1 is in use (another sandbox?): pass --port") from None
        raise
    with sandbox:
        lines = [
            f"sandbox Jira ({mode}) at {sandbox.jira_url}, Confluence at {sandbox.confluence_url}",
            f"(loopback only, data in memory; the Confluence space is IPM; user {state.user}, token {state.token})",
            "",
            "in another shell:",
            *(f"  {line}" for line in render_exports(sandbox.jira_url, sandbox.confluence_url, state.user,
                                                     state.token, mode)),
            "  goldenthread init && goldenthread check && goldenthread sync",
            "  goldenthread publish --dry-run && goldenthread publish",
            "  GOLDENTHREAD_WEBHOOK_SECRET=try-it goldenthread serve   # status page on http://127.0.0.1:8080/",
            "",
            "Ctrl-C stops the sandbox.",
        ]
        console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)
        try:
            (stop or threading.Event()).wait()
        except KeyboardInterrupt:
            pass
    console.print("sandbox stopped", markup=False, highlight=False)
