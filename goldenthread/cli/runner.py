"""How every command runs: the consoles, logging to stderr, the configuration and store a
command works on (`build_context`), `--as-of`, and `guarded`, which turns our errors into one
clear line and the contract's exit code. `app` declares the commands; each body runs in here.

Like `app`, it imports only typer at module level (`--help` must stay fast); rich is loaded when
its consoles are first used.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from goldenthread.sync.context import AppContext


class _DeferredConsole:
    """A rich `Console` built on first use. rich.console is ~20-30 ms of start-up that
    `--help`, `--version` and `metrics --format json` in a pipe never need."""

    def __init__(self, **options: Any) -> None:
        self._options = options

    @cached_property
    def console(self) -> Console:
        from rich.console import Console

        return Console(**self._options)

    @property
    def is_terminal(self) -> bool:
        # rich's answer without building the console when it is plainly no: a pipe, cron, a
        # container log (rich would say yes to a non-tty only when one of these is set)
        if "console" not in self.__dict__ and not _TERMINAL_ENV & os.environ.keys():
            stream = sys.stderr if self._options.get("stderr") else sys.stdout
            try:
                if not stream.isatty():
                    return False
            except (AttributeError, ValueError):  # replaced or closed
                return False
        return self.console.is_terminal

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)

    # Dunders are looked up on the type, not through __getattr__; rich enters its console as a
    # context manager (Live, under every progress bar), and these are the only ones it defines.
    def __enter__(self) -> Console:
        return self.console.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.console.__exit__(*exc)


_TERMINAL_ENV = {"FORCE_TERMINAL", "FORCE_COLOR", "TTY_COMPATIBLE"}


# soft_wrap: a line (a page's URL, a store path, a command to copy) is printed whole and the
# terminal folds it; rich would otherwise break it at 80 columns with a real newline when the
# output is a pipe or a log file, and a copied URL would stop at the break.
out = cast("Console", _DeferredConsole(soft_wrap=True))
err = cast("Console", _DeferredConsole(stderr=True, soft_wrap=True))
log = logging.getLogger("goldenthread")
T = TypeVar("T")
_verbose = False  # the root's -v, set by `app` before any command body runs


def set_verbose(verbose: bool) -> None:
    global _verbose
    _verbose = verbose


_log_handler: logging.Handler | None = None


def setup_logging(verbose: bool = False) -> None:
    """Log to stderr: through rich on a terminal (so log lines and progress bars share one
    console and never overwrite each other), plain lines otherwise (cron mail, CI logs).
    Replaces the handler an earlier call installed; other handlers on the root stay."""
    global _log_handler
    from goldenthread.sync.http.redaction import install_redaction  # not the transport: no HTTP stack
    from goldenthread.sync.settings import Settings

    handler: logging.Handler
    if err.is_terminal:
        from rich.logging import RichHandler

        handler = RichHandler(console=err, show_path=False, markup=False, rich_tracebacks=False,
                              log_time_format="%H:%M:%S")
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    _remove_log_handler()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    _log_handler = handler
    logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)
    # migration plugin set-up, font caches and backend chatter say nothing about goldenthread
    for noisy in ("alembic", "matplotlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_redaction(Settings().secrets())


def guarded(command: str, fn: Callable[[], T]) -> T:
    """Run the body of `command` ('check', 'report monthly'), turning our errors into one clear
    line and the contract's exit code: 2 for bad config or usage, 1 for a run that failed.
    Both name the command, never some step inside it."""
    from goldenthread.mappings.config import ConfigError
    from goldenthread.sync.gc_policy import quiet_gc

    try:
        setup_logging(_verbose)
        # serve sets its own (collecting) policy once its app is built
        with nullcontext() if command == "serve" else quiet_gc():
            return fn()
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(f"[red]{problem}[/red]", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted; nothing half-written: the next run picks up where this one stopped")
        raise typer.Exit(1) from None
    except Exception as exc:  # noqa: BLE001 - last line of defence: message, not traceback
        code = getattr(exc, "exit_code", 1)
        what = f"{command} failed" if code == 1 else command
        err.print(f"[red]error:[/red] {what}: {exc}", highlight=False, soft_wrap=True)
        if not hasattr(exc, "exit_code"):
            log.debug("unexpected failure", exc_info=True)
            if not _verbose:
                err.print(f"(run `goldenthread {command} -v` for details)", markup=False, highlight=False)
        raise typer.Exit(code) from None
    finally:
        _remove_log_handler()  # the command is over (tests run many in one process)


def _remove_log_handler() -> None:
    global _log_handler
    if _log_handler is not None:
        logging.getLogger().removeHandler(_log_handler)
        _log_handler = None


def build_context(config_path: Path | None) -> AppContext:
    from goldenthread.sync.context import AppContext
    from goldenthread.sync.progress import build_reporter
    from goldenthread.sync.settings import Settings, load_config

    settings = Settings()
    path = config_path or settings.goldenthread_config
    config, lines = load_config(path)
    # the path actually read, so `check` names the file the admin passed with --config
    settings = settings.model_copy(update={"goldenthread_config": path})
    return AppContext(settings=settings, config=config, lines=lines, reporter=build_reporter(err))


def parse_as_of(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    from goldenthread.mappings.values import parse_datetime

    try:
        # ISO 8601 only: epoch digits are for payloads, not for a person typing a date
        parsed = None if value.strip().isdigit() and len(value.strip()) != 8 else parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        err.print(f"--as-of: {value!r} is not an ISO 8601 date/time (e.g. 2026-11-01 or 2026-11-01T00:00:00Z)")
        raise typer.Exit(2) from None
    return parsed
