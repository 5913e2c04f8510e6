"""Seeded goals, KPI readings and survey answers to go with the sandbox backlog.

Plain data only (the sandbox imports nothing of goldenthread): `DEMO_GOALS` is what a demo
`goals:` section lists, `build_kpi_csv` the readings of its KPIs (CSV), `build_survey_json` the
answers of a satisfaction survey (JSON). The series are shaped so that a Goals page computed at
`now` shows every status: a KPI on track, one at risk, one achieved, one getting worse, and one
with no readings yet. Deterministic for (seed, now).
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from goldenthread.sandbox.catalogue import EXTRA_OBJECTIVE, OBJECTIVES, STAKEHOLDER_MANAGERS


@dataclass(frozen=True)
class DemoKpi:
    name: str
    unit: str
    baseline: float
    target: float
    start_days_ago: int  # baseline date
    target_in_days: int  # target date, from now
    pace: float  # share of the planned progress achieved by now (1 = on plan, 1.3 = beyond)
    noise: float  # reading-to-reading wobble, in the KPI's unit
    decimals: int = 1


@dataclass(frozen=True)
class DemoObjective:
    name: str
    weight: float | None
    owner: str  # account id of one of the sandbox's stakeholder managers
    kpis: tuple[DemoKpi, ...]


@dataclass(frozen=True)
class DemoGoal:
    name: str
    objectives: tuple[DemoObjective, ...]


_DANA, _OMAR, _PRIYA, _LENA, _MARCUS = (u.account_id for u in STAKEHOLDER_MANAGERS)

DEMO_GOALS: tuple[DemoGoal, ...] = (
    DemoGoal("Hire faster", (
        DemoObjective(OBJECTIVES["HR"], 1.5, _OMAR, (
            DemoKpi("Offer approval time", "days", 5, 2, 300, 120, 1.1, 0.15),
            DemoKpi("Time to hire", "days", 45, 30, 300, 120, 0.25, 1.5, 0),
        )),
    )),
    DemoGoal("Spend wisely", (
        DemoObjective(OBJECTIVES["PROC"], None, _PRIYA, (
            DemoKpi("Purchases with a PO", "%", 70, 95, 330, 30, 1.15, 1.0, 0),
        )),
    )),
    DemoGoal("IT that gets out of the way", (
        DemoObjective(OBJECTIVES["ITSD"], 1.2, _LENA, (
            DemoKpi("Self-service share", "%", 20, 60, 240, 180, 1.05, 1.5, 0),
            DemoKpi("Laptop swap time", "days", 10, 3, 60, 300, 0.0, 0.0),  # no readings yet
        )),
        DemoObjective(OBJECTIVES["PLAT"], 1.2, _MARCUS, (
            DemoKpi("Deploy success rate", "%", 90, 99, 270, 90, -0.3, 0.6),  # getting worse
        )),
    )),
)
#: answer-score weights (0..10) per objective: who is happy with what
_SCORES: dict[str, tuple[int, ...]] = {
    OBJECTIVES["HR"]: (1, 1, 1, 2, 2, 4, 6, 10, 14, 12, 9),
    OBJECTIVES["PROC"]: (2, 2, 3, 3, 4, 6, 8, 10, 10, 6, 4),
    OBJECTIVES["ITSD"]: (0, 0, 1, 1, 1, 2, 3, 8, 12, 16, 14),
    OBJECTIVES["PLAT"]: (4, 3, 4, 5, 6, 8, 8, 8, 5, 3, 2),
    EXTRA_OBJECTIVE: (0, 1, 1, 1, 2, 3, 5, 9, 12, 10, 8),
}
_COMMENTS = ("", "", "", "Much quicker than last year", "Still too many steps", "Couldn't find the form",
             "Great, thanks!", "Approvals stall when a manager is away", "The new portal is easy to use")


def build_kpi_csv(now: datetime, seed: int = 7) -> str:
    """Weekly readings of every demo KPI from its baseline date to a few days before `now`."""
    rng = random.Random(seed * 31 + 1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kpi", "date", "value"])
    today = now.date()
    for goal in DEMO_GOALS:
        for objective in goal.objectives:
            for k in objective.kpis:
                if k.pace == 0:
                    continue
                start = today - timedelta(days=k.start_days_ago)
                span = (k.start_days_ago + k.target_in_days)
                day = start
                while day <= today - timedelta(days=3):
                    elapsed = (day - start).days / span
                    value = k.baseline + (k.target - k.baseline) * elapsed * k.pace + rng.gauss(0, k.noise)
                    if k.unit == "%":
                        value = min(100.0, max(0.0, value))
                    writer.writerow([k.name, day.isoformat(), f"{value:.{k.decimals}f}"])
                    day += timedelta(days=7)
    return out.getvalue()


def build_survey_json(now: datetime, seed: int = 7, months: int = 12) -> str:
    """Answers (0-10) about each objective, a few dozen a month over the last `months` months."""
    rng = random.Random(seed * 31 + 2)
    answers = []
    for objective, weights in _SCORES.items():
        for day_back in range(months * 30, 0, -1):
            for _ in range(rng.choices((0, 1, 2), (0.35, 0.5, 0.15))[0]):
                day = (now - timedelta(days=day_back)).date()
                answers.append({"date": day.isoformat(), "score": rng.choices(range(11), weights)[0],
                                "objective": objective, "comment": rng.choice(_COMMENTS)})
    answers.sort(key=lambda a: (a["date"], a["objective"]))
    return json.dumps(answers, ensure_ascii=False, indent=0)
