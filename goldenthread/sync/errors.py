"""Errors the CLI turns into exit codes (README: 1 a run failed, 2 bad config or usage).

Tests: tests/cli/test_errors.py
"""

from __future__ import annotations


class GoldenthreadError(Exception):
    exit_code = 1


class RunFailed(GoldenthreadError):
    """A run failed; the message names what failed and what to check."""

    exit_code = 1


class BadUsage(GoldenthreadError):
    """Bad config or usage discovered at run time (e.g. Jira rejects the configured JQL)."""

    exit_code = 2
