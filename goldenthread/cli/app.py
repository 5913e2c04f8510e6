"""The `goldenthread` command line (typer). Commands are thin: each delegates to one module.

Everything heavier than typer and rich (pydantic settings, the store, pandas, HTTP clients,
FastAPI) is imported inside the command that needs it, so `--help` and a mistyped command answer
at once and each command pays only for what it uses (bench/cli.py measures it)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from typer.core import TyperGroup

from goldenthread import __version__

if TYPE_CHECKING:
    from goldenthread.sync.context import AppContext

VERBOSE_FLAGS = ("-v", "--verbose")


class _Group(TyperGroup):
    """The root group: `-v` / `--verbose` is accepted after the command too (`goldenthread
    publish -v`), because every error message suggests adding it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if ctx.parent is None:
            args = move_verbose_first(args)
        return super().parse_args(ctx, args)


def move_verbose_first(args: Sequence[str]) -> list[str]:
    """`-v`/`--verbose` anywhere before a `--` moved in front of the command."""
    end = args.index("--") if "--" in args else len(args)
    flags = [a for a in args[:end] if a in VERBOSE_FLAGS]
    rest = [a for a in args[:end] if a not in VERBOSE_FLAGS]
    return [*flags, *rest, *args[end:]]


app = typer.Typer(
    name="goldenthread",
    cls=_Group,
    help="Run internal products like products: Jira backlog -> priorities and outcomes -> Confluence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
report_app = typer.Typer(help="Stakeholder reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")

out = Console()
err = Console(stderr=True)
log = logging.getLogger("goldenthread")
T = TypeVar("T")
_verbose = False

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Path to goldenthread.yaml (default: $GOLDENTHREAD_CONFIG or ./goldenthread.yaml)."),
]


DetailsOpt = Annotated[bool, typer.Option("--details", help="With --dry-run: print the whole diff of every page, "
                                                              "not its first lines.")]
AdoptOpt = Annotated[list[str] | None, typer.Option(
    "--adopt", metavar="TITLE", help="Take over the existing page with this title, which goldenthread did not "
    "create, and replace its content from now on (repeatable). Without it such a page is never touched.")]


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


def _print_version(value: bool) -> None:
    if value:
        out.print(f"goldenthread {__version__}", markup=False, highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging (also accepted after the command).")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version,
                                          is_eager=True)] = False,
) -> None:
    global _verbose
    _verbose = verbose


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter config.")] = Path("goldenthread.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter goldenthread.yaml."""
    from goldenthread.mappings.starter import render_starter_config

    if path.exists() and not force:
        err.print(f"{path} already exists; use --force to overwrite it")
        raise typer.Exit(2)
    path.write_text(render_starter_config(), encoding="utf-8")
    out.print(f"wrote {path}; next: set JIRA_URL/JIRA_USER/JIRA_TOKEN and run `goldenthread check`")


@app.command()
def check(
    config: ConfigOpt = None,
    offline: Annotated[bool, typer.Option("--offline", help="Validate the file only; do not contact Jira.")] = False,
) -> None:
    """Validate goldenthread.yaml; online, also resolve every mapped field in Jira and find the Confluence space."""

    def body() -> None:
        from goldenthread.sync.jira.fieldcheck import run_check

        ctx = build_context(config)
        problems = run_check(ctx, offline=offline)
        errors = [p for p in problems if p.severity == "error"]
        for p in problems:
            colour = "red" if p.severity == "error" else "yellow"
            err.print(f"[{colour}]{p}[/{colour}]", highlight=False, soft_wrap=True)
        if errors:
            raise typer.Exit(2)
        out.print(f"{ctx.settings.goldenthread_config if config is None else config}: OK"
                  + (f" ({len(problems)} warning(s))" if problems else ""))

    guarded("check", body)


@app.command()
def fields(
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the fields as a JSON list instead of a table.")] = False,
) -> None:
    """List Jira fields (id, name, type) to help write mappings."""

    def body() -> None:
        from goldenthread.cli.sync import run_fields

        run_fields(build_context(config), out, as_json=as_json)

    guarded("fields", body)


@app.command()
def sync(
    config: ConfigOpt = None,
    full: Annotated[bool, typer.Option("--full", help="Re-read the whole backlog instead of what changed.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show which stakeholders would be written back; write nothing to Jira.")] = False,
    details: Annotated[bool, typer.Option("--details", help="List every stakeholder added, not the first few.")] = False,
) -> None:
    """Pull Jira into the store, write stakeholders back, print a summary."""

    def body() -> None:
        from goldenthread.cli.sync import run_sync_command

        ctx = build_context(config)
        try:
            run_sync_command(ctx, out, full=full, dry_run=dry_run, details=details)
        finally:
            ctx.close()

    guarded("sync", body)


@app.command()
def publish(
    config: ConfigOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print a diff of each page's text; write nothing.")] = False,
    preview_dir: Annotated[Path | None, typer.Option("--preview", help="Also write an HTML preview of each page here.")] = None,
    details: DetailsOpt = False,
    adopt: AdoptOpt = None,
) -> None:
    """Render and upsert the Roadmap and What's new pages."""

    def body() -> None:
        from goldenthread.cli.publish import run_publish_command

        ctx = build_context(config)
        try:
            run_publish_command(ctx, out, dry_run=dry_run, preview_dir=preview_dir, details=details,
                                adopt=adopt or ())
        finally:
            ctx.close()

    guarded("publish", body)


@report_app.command("monthly")
def report_monthly(
    config: ConfigOpt = None,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: the previous month).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print a diff of the page's text; write nothing.")] = False,
    preview_dir: Annotated[Path | None, typer.Option("--preview", help="Also write an HTML preview here.")] = None,
    details: DetailsOpt = False,
    adopt: AdoptOpt = None,
) -> None:
    """Produce and publish the month's stakeholder report (idempotent, safe to re-run)."""

    def body() -> None:
        from goldenthread.cli.publish import run_monthly_command

        ctx = build_context(config)
        try:
            run_monthly_command(ctx, out, month=month, dry_run=dry_run, preview_dir=preview_dir,
                                details=details, adopt=adopt or ())
        finally:
            ctx.close()

    guarded("report monthly", body)


@app.command()
def metrics(
    config: ConfigOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO date/time (UTC) to compute as of.")] = None,
) -> None:
    """Prioritisation and outcome metrics from the store."""
    if fmt not in ("table", "json"):
        err.print(f"--format must be table or json, not {fmt!r}")
        raise typer.Exit(2)
    when = parse_as_of(as_of)

    def body() -> None:
        from goldenthread.cli.metrics import run_metrics

        ctx = build_context(config)
        try:
            text = run_metrics(ctx.store, ctx.config, when, fmt, width=out.width)
            never_synced = not ctx.store.load_runs(limit=1) and ctx.store.count("issues") == 0
            where = ctx.store.engine.url.render_as_string(hide_password=True)
        finally:
            ctx.close()
        if never_synced:
            # an empty result from a store nothing ever wrote to is most often the wrong store
            err.print(f"note: the store {where} is empty and no sync has run against it; run "
                      "`goldenthread sync` first, or set GOLDENTHREAD_DATABASE_URL to your store",
                      markup=False, highlight=False)  # fmt: skip
        if fmt == "json":
            sys.stdout.write(text + "\n")
        else:
            out.print(text, markup=False, highlight=False)

    guarded("metrics", body)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the HTML previews.")] = Path("goldenthread-demo"),
    issues: Annotated[int, typer.Option("--issues", help="Issues in the generated sandbox backlog.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the generated backlog (same seed, same demo).")] = 7,
    hostile: Annotated[bool, typer.Option("--hostile", help="Mix the escaping test corpus (markup, CDATA ends, wiki "
                                          "macros) into the backlog's text, to see it stay text on every page.")] = False,
) -> None:
    """Start the bundled sandbox on loopback and run sync -> publish -> report against it."""

    def body() -> None:
        from goldenthread.cli.demo import run_demo

        run_demo(out_dir=out_dir, issues=issues, seed=seed, console=out, progress_console=err, hostile=hostile)

    guarded("demo", body)


@app.command()
def sandbox(
    port: Annotated[int, typer.Option("--port", help="Loopback port to listen on.")] = 8900,
    issues: Annotated[int, typer.Option("--issues", help="Issues in the generated backlog.")] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the generated backlog (same seed, same data).")] = 7,
    datacenter: Annotated[bool, typer.Option("--datacenter", help="Emulate Jira and Confluence Data Center "
                                             "instead of Cloud.")] = False,
) -> None:
    """Run the bundled Jira + Confluence sandbox in the foreground to try commands by hand (Ctrl-C stops it)."""

    def body() -> None:
        from goldenthread.cli.sandbox import run_sandbox

        run_sandbox(out, port=port, issues=issues, seed=seed, mode="datacenter" if datacenter else "cloud")

    guarded("sandbox", body)


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
    insecure_no_signature: Annotated[
        bool, typer.Option("--insecure-no-signature", help="Accept unsigned webhooks (no GOLDENTHREAD_WEBHOOK_SECRET).")
    ] = False,
    worker_process: Annotated[
        bool, typer.Option("--worker-process", help="Run the worker, publisher and scheduler in a child process "
                           "(more webhook throughput on a multi-core host).")
    ] = False,
) -> None:
    """Webhook receiver + worker + scheduler + status page."""

    def body() -> None:
        from goldenthread.webhooks.server import run_serve

        run_serve(build_context(config), host=host, port=port, insecure_no_signature=insecure_no_signature,
                  worker_process=worker_process)

    guarded("serve", body)


def main() -> None:
    app()
