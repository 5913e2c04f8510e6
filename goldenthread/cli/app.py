"""The `goldenthread` command line (typer). Commands are thin: each delegates to one module,
and `cli.runner` runs its body (logging, errors to exit codes, the context it works on).

Everything heavier than typer (rich, pydantic settings, the store, pandas, HTTP clients, FastAPI)
is imported inside the command that needs it, so `--help` and a mistyped command answer at once
and each command pays only for what it uses (bench/cli.py measures it). Help is typer's plain
(click) formatting: its rich formatting imported rich's Markdown and traceback modules, ~75 ms
of every `--help`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from goldenthread import __version__
from goldenthread.cli.runner import build_context, err, guarded, out, parse_as_of, set_verbose

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
    rich_markup_mode=None,  # plain help: see the module docstring
)
report_app = typer.Typer(help="Stakeholder reports.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(report_app, name="report")

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Path to goldenthread.yaml (default: $GOLDENTHREAD_CONFIG or ./goldenthread.yaml)."),
]


DetailsOpt = Annotated[bool, typer.Option("--details", help="With --dry-run: print the whole diff of every page, "
                                                              "not its first lines.")]
AdoptOpt = Annotated[list[str] | None, typer.Option(
    "--adopt", metavar="TITLE", help="Take over the existing page with this title, which goldenthread did not "
    "create, and replace its content from now on (repeatable). Without it such a page is never touched.")]


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"goldenthread {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging (also accepted after the command).")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version,
                                          is_eager=True)] = False,
) -> None:
    set_verbose(verbose)


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


@app.command(short_help="Validate the config; online, resolve its fields and space.")
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


@app.command(short_help="Pull Jira into the store and write stakeholders back.")
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


@app.command(short_help="Render the live pages and write those that changed.")
def publish(
    config: ConfigOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print a diff of each page's text; write nothing.")] = False,
    preview_dir: Annotated[Path | None, typer.Option("--preview", help="Also write an HTML preview of each page here.")] = None,
    details: DetailsOpt = False,
    adopt: AdoptOpt = None,
) -> None:
    """Render the live pages (Roadmap, Goals, What's new and its yearly archives); write those that changed."""

    def body() -> None:
        from goldenthread.cli.publish import run_publish_command

        ctx = build_context(config)
        try:
            run_publish_command(ctx, out, dry_run=dry_run, preview_dir=preview_dir, details=details,
                                adopt=adopt or ())
        finally:
            ctx.close()

    guarded("publish", body)


@report_app.command("monthly", short_help="Produce and publish the month's stakeholder report.")
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
            # ctx.reader: no SQLAlchemy when the store's schema is at head (store.readonly)
            # out.width only for tables: JSON in a pipe then never builds a rich console
            text = run_metrics(ctx.reader, ctx.config, when, fmt, width=out.width if fmt == "table" else 80)
            never_synced = ctx.reader.load_never_synced()
            where = ctx.reader.where if never_synced else ""
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


@app.command(short_help="Run sync -> publish -> report against the bundled sandbox.")
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


@app.command(short_help="Keep the bundled Jira + Confluence sandbox running.")
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
    # numpy's OpenBLAS starts a thread per core at import and they spin; goldenthread does no
    # linear algebra, so they only burn CPU: a fifth of a `metrics` run's (0.82 -> 0.67 s on the
    # 5k bench store), which a cron job on a busy host pays in wall time. An admin's own setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    app()
