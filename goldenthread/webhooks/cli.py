"""Console entry point: the sync CLI plus `serve`, which needs this layer (webhooks -> sync)."""

from __future__ import annotations

from typing import Annotated

import typer

from goldenthread.sync.cli import ConfigOpt, app, build_context, guarded


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8080,
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

    guarded(body)


def main() -> None:
    app()
