"""The backlog as it stood at a point in time T, rebuilt from the status history (pure numpy).

Only status history is kept, so only status moves are replayed; every other field is today's
value. At T (docs/metrics.md, "Point in time"):
- an issue exists when it was created at or before T;
- its stage is the to-stage of its last status move at or before T; before its first move it sat
  in that move's from-stage (a creation entry has no from-status: its to-stage). An issue with no
  move after T is in its current stage, so at T = now the store's latest status is what counts
  even where a history is incomplete. An issue with no status history at all sat in its current
  stage since creation, except a done one, which was done from its resolution date (if any) and
  to-do before it;
- started_at = its first move into an in_progress stage at or before T; completed_at (issues done
  at T only) = its last move from a non-done stage (or a creation entry) into done at or before
  T, else its resolution date when that is at or before T; lead and cycle time from those.
Moves at the same instant keep the order the table gives them.

Every array here is per issue row (the issue table as given) or per change row; times are int64
microseconds since the epoch, _NAT when undefined; stages are codes into STAGES (-1 unknown).
Without a move after T and with every resolution date at or before T (T = now), the snapshot is
the current backlog with no extra work but two comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from goldenthread.mappings.records import STAGES

TODO, IN_PROGRESS, DONE = (STAGES.index(s) for s in ("todo", "in_progress", "done"))
NAT = np.iinfo("int64").min
#: "T = the end of time": every move and resolution counts (the current backlog).
EVER = np.iinfo("int64").max
_DAY_US = 86_400_000_000.0


@dataclass(frozen=True)
class Snapshot:
    """The backlog at T. Per issue row: `exists` (created at or before T), `stage` (int8 code
    at T), `started`, `completed` (µs, NAT when undefined; completed only for issues done at T),
    `lead_time_days`, `cycle_time_days` (NaN when undefined). Per change row: `kept` (the move
    is at or before T). `order`: the change rows issue by issue in time order, or None when the
    table already runs that way."""

    exists: np.ndarray
    stage: np.ndarray
    started: np.ndarray
    completed: np.ndarray
    lead_time_days: np.ndarray
    cycle_time_days: np.ndarray
    kept: np.ndarray
    order: np.ndarray | None


def compute_grouped(pos: np.ndarray, at: np.ndarray) -> bool:
    """Whether change rows run issue by issue (positions never decrease) and in time order
    within each issue: then an issue's first and last rows are its earliest and latest moves."""
    if len(pos) < 2:
        return True
    if not (pos[1:] >= pos[:-1]).all():
        return False
    return not ((at[1:] < at[:-1]) & (pos[1:] == pos[:-1])).any()


def compute_pick(n: int, pos: np.ndarray, mask: np.ndarray, last: bool) -> np.ndarray:
    """Per issue row, the first (`last=False`) or last change row in `mask`, -1 when none.
    `pos` (issue row of each change, -1 unknown) must never decrease: the unknown issues lead,
    and each issue's masked rows form one run whose ends are the picks."""
    out = np.full(n, -1, dtype="int64")
    rows = np.flatnonzero(mask)
    p = pos[rows]
    start = int(np.searchsorted(p, 0))
    rows, p = rows[start:], p[start:]
    if not len(p):
        return out
    edges = np.flatnonzero(p[1:] != p[:-1])
    pick = np.append(edges, len(p) - 1) if last else np.insert(edges + 1, 0, 0)
    out[p[pick]] = rows[pick]
    return out


def _times_of(rows: np.ndarray, at: np.ndarray) -> np.ndarray:
    return np.where(rows >= 0, at[np.maximum(rows, 0)] if len(at) else NAT, NAT)


def compute_snapshot(
    stage_now: np.ndarray,
    created: np.ndarray,
    resolved: np.ndarray,
    pos: np.ndarray,
    at: np.ndarray,
    to_stage: np.ndarray,
    from_stage: np.ndarray,
    as_of: int,
) -> Snapshot:
    """The snapshot at `as_of` (µs) of issues with current stage codes `stage_now`, `created`
    and `resolved` (µs), from moves at `at` (µs) of the issue rows `pos` between the stage codes
    `from_stage` (-1 for a creation entry) and `to_stage`. The moves may come in any order."""
    n = len(stage_now)
    order = None if compute_grouped(pos, at) else np.lexsort((at, pos))
    if order is not None:
        # one sort into issue-then-time order; every pick below then reads run ends
        pos, at, to_stage, from_stage = pos[order], at[order], to_stage[order], from_stage[order]
    upto = at <= as_of
    every_move = bool(upto.all())
    to_progress = to_stage == IN_PROGRESS
    # Done -> Released keeps the completion: only a move from a non-done stage completes
    into_done = (to_stage == DONE) & (from_stage != DONE)
    if not every_move:
        to_progress &= upto
        into_done &= upto
    started = _times_of(compute_pick(n, pos, to_progress, last=False), at)
    last_done = _times_of(compute_pick(n, pos, into_done, last=True), at)

    stage = np.asarray(stage_now, dtype="int8").copy()
    if not every_move:
        after = compute_pick(n, pos, ~upto, last=False)
        moved = np.flatnonzero(after >= 0)
        before = compute_pick(n, pos, upto, last=True)[moved]
        first = after[moved]
        sat_in = np.where(from_stage[first] >= 0, from_stage[first], to_stage[first])
        then = np.where(before >= 0, to_stage[np.maximum(before, 0)], sat_in)
        stage[moved] = np.where(then >= 0, then, stage[moved])  # an unknown status: keep
    unresolved = resolved > as_of  # NAT never is
    if unresolved.any():
        known = pos[pos >= 0]
        no_history = np.bincount(known, minlength=n)[:n] == 0
        stage[unresolved & no_history & (stage == DONE)] = TODO

    completed = np.where(last_done != NAT, last_done, np.where(unresolved, NAT, resolved))
    completed[stage != DONE] = NAT
    has_done = completed != NAT
    lead = np.subtract(completed, created, dtype="float64") / _DAY_US
    lead[~has_done] = np.nan
    cycle = np.subtract(completed, started, dtype="float64") / _DAY_US
    cycle[~(has_done & (started != NAT))] = np.nan
    kept = upto if order is None else _unsort(upto, order)
    return Snapshot(created <= as_of, stage, started, completed, lead, cycle, kept, order)


def _unsort(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    out[order] = values
    return out
