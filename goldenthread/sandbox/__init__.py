"""A local Jira (Cloud / Data Center) and Confluence (Cloud / Data Center) emulator.

Used by `goldenthread demo`, tests and benchmarks. It speaks the real REST shapes over loopback
HTTP so the project's real clients run against it unchanged.

    state = SandboxState.build(seed=7, issues=300)
    with start_sandbox(state) as sb:
        ...  # sb.jira_url, sb.confluence_url, sb.user, sb.token; state.stats; state.faults
"""

from goldenthread.sandbox.app import create_sandbox_app
from goldenthread.sandbox.confluence_store import ConfluenceStore, check_storage
from goldenthread.sandbox.catalogue import API_USER, BACKLOG_LABEL, OBJECTIVES, STAKEHOLDER_MANAGERS, TEAMS, USERS
from goldenthread.sandbox.dataset import build_dataset
from goldenthread.sandbox.faults import Fault, Faults, Stats
from goldenthread.sandbox.model import SandboxData, SandboxIssue, SandboxUser
from goldenthread.sandbox.server import RunningSandbox, start_sandbox
from goldenthread.sandbox.state import DEFAULT_TOKEN, DEFAULT_USER, SandboxState

__all__ = [
    "API_USER", "BACKLOG_LABEL", "DEFAULT_TOKEN", "DEFAULT_USER", "OBJECTIVES", "STAKEHOLDER_MANAGERS", "TEAMS",
    "USERS", "ConfluenceStore", "Fault", "Faults", "RunningSandbox", "SandboxData", "SandboxIssue", "SandboxState",
    "SandboxUser", "Stats", "build_dataset", "check_storage", "create_sandbox_app", "start_sandbox",
]
