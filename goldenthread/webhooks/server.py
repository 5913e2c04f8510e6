"""`goldenthread serve`: uvicorn + inbox worker thread(s) + debounced publisher + scheduler.

Tests: tests/webhooks/test_serve_process.py
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import multiprocessing
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import Any

import uvicorn

from goldenthread.sync.context import AppContext
from goldenthread.sync.errors import BadUsage
from goldenthread.sync.gc_policy import quiet_gc
from goldenthread.webhooks.app import AppDeps, create_app
from goldenthread.webhooks.metrics_relay import apply_relayed_metrics, relay_metrics
from goldenthread.webhooks.observability import Metrics, setup_json_logging
from goldenthread.webhooks.processing import EventHandlers
from goldenthread.webhooks.scheduler import Job, Scheduler
from goldenthread.webhooks.worker import LEASE, PagePublisher, Worker, release_dead_claims

log = logging.getLogger("goldenthread.serve")

NO_SECRET = (
    "GOLDENTHREAD_WEBHOOK_SECRET is not set: refusing to accept unsigned webhooks. Set it to the "
    "secret configured on the Jira webhook, or pass --insecure-no-signature (local testing only)."
)


def build_config_warnings(ctx: AppContext, *, insecure: bool, dialect: str) -> list[str]:
    """What an admin should fix, for the status page. Names settings, never their values."""
    s, out = ctx.settings, []
    if insecure:
        out.append("Webhook signatures are NOT verified (--insecure-no-signature): anyone who can reach this port can post events.")
    if not s.jira_url:
        out.append("JIRA_URL is not set: events are stored but cannot be processed until it is.")
    if not s.confluence_url:
        out.append("CONFLUENCE_URL is not set: pages cannot be published.")
    if not ctx.config.schedule.sync:
        out.append("schedule.sync is off: no periodic safety-net sync; missed webhooks are never repaired.")
    if dialect == "sqlite":
        out.append("SQLite store: run a single replica; use PostgreSQL (GOLDENTHREAD_DATABASE_URL) for several.")
    return out


WORKER_NICENESS = 5  # --worker-process: the child runs at a lower CPU priority than the receiver


def open_listener(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything else starts: on a busy port `serve` must stop
    at once with a plain message, not after a full sync and its Jira writes (BadUsage: exit 2)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise BadUsage(f"--host {host!r} is not an address this machine can listen on ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        # as uvicorn does: a restart may bind while the old socket lingers in TIME_WAIT
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BadUsage(f"port {port} is in use on {host}: another `goldenthread serve` or another program "
                           "listens there; stop it or pass --port") from None
        if exc.errno == errno.EACCES:
            raise BadUsage(f"not allowed to listen on port {port} (ports below 1024 need privileges); "
                           "pass --port 8080 and put a reverse proxy in front") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise BadUsage(f"--host {host} is not an address of this machine") from None
        raise BadUsage(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def build_replica_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Services:
    """The background half of serve, separable from uvicorn for tests and the benchmark."""

    workers: list[Worker]
    publisher: PagePublisher | None
    scheduler: Scheduler | None
    stop: threading.Event
    threads: list[threading.Thread]
    replica: str = ""

    def start(self, idle_wait: float = 0.2) -> None:
        if self.workers:
            w = self.workers[0]
            if self.replica:
                try:  # a killed earlier serve on this host: its in-flight events resume now, not after their lease
                    if release_dead_claims(w.store, self.replica, w.clock()):
                        for worker in self.workers:
                            worker.resume_first = True
                except Exception:  # noqa: BLE001 - store not reachable yet: the leases still expire
                    log.warning("could not check for events a stopped process held", exc_info=True)
            interval = w.lease.total_seconds() / 3
            self.threads.append(threading.Thread(target=self._beat, args=(interval,), name="heartbeat", daemon=True))
        for w in self.workers:
            self.threads.append(threading.Thread(target=w.run, args=(self.stop, idle_wait), name=f"worker-{w.worker_id}", daemon=True))
        if self.publisher:
            self.threads.append(threading.Thread(target=self.publisher.run, args=(self.stop,), name="publisher", daemon=True))
        if self.scheduler:
            self.threads.append(threading.Thread(target=self.scheduler.run, args=(self.stop,), name="scheduler", daemon=True))
        for t in self.threads:
            t.start()

    def _beat(self, interval: float) -> None:
        while not self.stop.wait(interval):
            for w in self.workers:
                try:
                    w.heartbeat_once()
                except Exception:  # noqa: BLE001 - a store blip: the next beat tries again
                    log.warning("lease heartbeat of %s failed", w.worker_id, exc_info=True)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Workers finish the event in hand and hand back the rest; an event still running after
        `timeout` is left to its lease (another replica or the next start picks it up)."""
        self.stop.set()
        for t in self.threads:
            t.join(timeout)


def build_services(
    ctx: AppContext,
    metrics: Metrics,
    *,
    handlers: EventHandlers,
    publish: Callable[[Sequence[str]], Any] | None,
    jobs: Mapping[str, Job],
    replica: str,
    workers: int | None = None,
    debounce: timedelta = timedelta(seconds=30),
    lease: timedelta = LEASE,
) -> Services:
    store = ctx.store
    # SQLite has one writer at a time: a single claimer; PostgreSQL claims with SKIP LOCKED
    count = workers if workers is not None else (2 if store.dialect == "postgresql" else 1)
    # SQLite: the worker leaves the single write lock to the receiver during a burst (Worker.should_yield)
    quiet = timedelta(milliseconds=500) if store.dialect == "sqlite" else None
    ws = [Worker(store, handlers, metrics, worker_id=f"{replica}/{i}", clock=ctx.clock, lease=lease, yield_quiet=quiet) for i in range(count)]
    pub = PagePublisher(store, publish, metrics, clock=ctx.clock, debounce=debounce) if publish else None
    sched = Scheduler(store, jobs, metrics, replica=replica, clock=ctx.clock) if jobs else None
    return Services(ws, pub, sched, threading.Event(), [], replica)


def _run_services_child(services: Services, ctx: AppContext, metrics: Metrics, relay: Connection,
                        listener: socket.socket) -> None:
    """Body of the worker process: the background half of serve, off the receiver's GIL."""
    listener.close()  # only the receiver accepts connections: the port is free once it is gone
    ctx.store.engine.dispose(close=False)  # pooled connections belong to the parent: never share them across fork
    flush_metrics = relay_metrics(metrics, relay, threading.Event())
    with contextlib.suppress(OSError):
        # the receiver's 202 latency comes first when CPU is short; the worker only catches up later
        # (events wait durably in the inbox), and it still gets any CPU the receiver leaves idle
        os.nice(WORKER_NICENESS)
    with contextlib.suppress(OSError, AttributeError):  # Linux: die with serve, even on kill -9 (leases cover the rest)
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    signal.signal(signal.SIGTERM, lambda *_: services.stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    services.start()
    while not services.stop.wait(1.0):
        pass
    services.shutdown()
    flush_metrics()


class _Server(uvicorn.Server):
    """uvicorn that does not re-raise SIGTERM/SIGINT once it has stopped serving.

    uvicorn restores the default handlers and raises the captured signal again on its way out,
    which kills the process before `run_serve` has drained its worker threads (exit -15, no
    "stopped"). The signals seen are kept in `stop_signals` instead; `run_serve` finishes its own
    shutdown and returns, so a SIGTERM ends in exit 0."""

    stop_signals: list[int]

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        self.stop_signals = []
        with super().capture_signals():
            try:
                yield
            finally:
                captured = getattr(self, "_captured_signals", None)
                if isinstance(captured, list):
                    self.stop_signals = list(captured)
                    captured.clear()


def run_serve(
    ctx: AppContext,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    insecure_no_signature: bool = False,
    handlers: EventHandlers | None = None,
    publish: Callable[[Sequence[str]], Any] | None = None,
    jobs: Mapping[str, Job] | None = None,
    workers: int | None = None,
    json_logs: bool = True,
    worker_process: bool = False,
) -> None:
    """`worker_process`: run worker, publisher and scheduler in a forked child so they do not
    share the receiver's GIL (bench/webhooks.py: the in-process worker cut accepted events/s
    several-fold). Handlers then run in the child: in-process recording fakes see nothing; the
    child's counters reach this process's /metrics through metrics_relay."""
    secret = ctx.settings.goldenthread_webhook_secret.get_secret_value() or None
    if secret is None and not insecure_no_signature:
        raise BadUsage(NO_SECRET)
    # bind first: nothing (migrations, the worker, a scheduled sync and its Jira writes) starts
    # unless this process holds the port; connections queue in the listen backlog meanwhile
    listener = open_listener(host, port)
    try:
        _serve(ctx, listener, host=host, port=port, secret=secret, handlers=handlers, publish=publish, jobs=jobs,
               workers=workers, json_logs=json_logs, worker_process=worker_process)
    finally:
        listener.close()


def _serve(
    ctx: AppContext,
    listener: socket.socket,
    *,
    host: str,
    port: int,
    secret: str | None,
    handlers: EventHandlers | None,
    publish: Callable[[Sequence[str]], Any] | None,
    jobs: Mapping[str, Job] | None,
    workers: int | None,
    json_logs: bool,
    worker_process: bool,
) -> None:
    if json_logs:
        setup_json_logging()
    store = ctx.store  # opens and migrates before we accept anything
    metrics = Metrics(store, ctx.clock)
    replica = build_replica_id()
    if handlers is None:
        from goldenthread.webhooks.live import LiveJira, build_live_jobs, build_live_publish

        handlers = LiveJira(ctx, metrics).handlers()
        publish = publish or build_live_publish(ctx, metrics)
        jobs = build_live_jobs(ctx) if jobs is None else jobs
    warnings = build_config_warnings(ctx, insecure=secret is None, dialect=store.dialect)
    deps = AppDeps(store=store, clock=ctx.clock, secret=secret, metrics=metrics, warnings=lambda: warnings)
    services = build_services(ctx, metrics, handlers=handlers, publish=publish, jobs=jobs or {}, replica=replica, workers=workers)
    server = _Server(
        uvicorn.Config(create_app(deps), host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=20)
    )
    child = None
    if worker_process:
        received, relay = multiprocessing.Pipe(duplex=False)
        child = multiprocessing.get_context("fork").Process(
            target=_run_services_child, args=(services, ctx, metrics, relay, listener), name="goldenthread-worker"
        )
        child.start()
        relay.close()  # the child's end: closed here so the pipe reports EOF once the child is gone
        apply_relayed_metrics(metrics, received)
    else:
        services.start()
    log.info("serving on http://%s:%d as replica %s (%s store)", host, port, replica, store.dialect)
    try:
        # uvicorn traps SIGTERM/SIGINT: stops accepting, drains in-flight requests, then returns;
        # everything built so far lives as long as the process: frozen out of the collector's
        # sight (gc_policy), which keeps collecting what the requests leave
        with quiet_gc(collect=True):
            server.run(sockets=[listener])
    finally:
        if child is not None:
            child.terminate()  # SIGTERM: finish the batch in hand, hand back the rest
            child.join(35)
            if child.is_alive():
                child.kill()
        else:
            services.shutdown()
        names = [signal.Signals(n).name for n in getattr(server, "stop_signals", [])]
        log.info("stopped%s", f" on {', '.join(names)}" if names else "")
