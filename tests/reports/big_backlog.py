"""A large backlog built to make pages as big as they can get: long summaries (Jira's 255
characters), long objective and people names, many objectives, three stakeholders on most issues,
two years of shipped work. Deterministic for a seed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from goldenthread.mappings.config import Config, parse_config
from goldenthread.mappings.records import Issue, StatusChange, UserRef

NOW = datetime(2026, 6, 3, tzinfo=UTC)
PEOPLE = [f"557058:{i:04d}aaaa-bbbb-cccc-dddd-eeeeffff0000" for i in range(40)]
OBJECTIVES = [f"Objective {i:02d}: make the internal products measurably better for every employee" for i in range(60)]
CONFIG = "\n".join([
    "fields: {reach: R, impact: I, confidence: C, effort: E, objective: Objective, stakeholders: S, "
    "release_note: customfield_10113}",
    "stakeholders:", "  people:",
    *[f'    - {{id: "{p}", name: "Person {i} with a rather long display name (Department {i})", '
      f'power: {"high" if i % 2 else "low"}, interest: high}}' for i, p in enumerate(PEOPLE)],
    "prioritisation: {model: rice, next_size: 15}",
])  # fmt: skip
STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}


def big_config() -> Config:
    return parse_config(CONFIG)[0]


# LEGAL has no name: its rows were synced before the store kept project names
PROJECT_NAMES = {"HR": "HR Portal", "IT": "IT Service Desk", "PLAT": "Internal Platform", "PROC": "Procurement",
                 "FIN": "Finance & Expenses"}


def build_big_backlog(n: int = 20_000, seed: int = 3) -> tuple[list[Issue], list[StatusChange]]:
    rng = random.Random(seed)
    issues: list[Issue] = []
    changes: list[StatusChange] = []
    for i in range(1, n + 1):
        project = rng.choice(["HR", "IT", "PLAT", "PROC", "FIN", "LEGAL"])
        key = f"{project}-{i}"
        created = NOW - timedelta(days=rng.uniform(1, 730))
        stage = rng.choices(["todo", "in_progress", "done"], [55, 15, 30])[0]
        status = {"todo": "To Do", "in_progress": "In Progress", "done": "Done"}[stage]
        at = created
        if stage != "todo":
            at = min(NOW, at + timedelta(days=rng.uniform(0, 30)))
            changes.append(StatusChange(key, f"{i}-1", at, "To Do", "In Progress"))
        if stage == "done":
            at = min(NOW, at + timedelta(days=rng.uniform(0.5, 40)))
            changes.append(StatusChange(key, f"{i}-2", at, "In Progress", "Done"))
        summary = (f"Improve the {rng.choice(['payslip', 'leave', 'laptop', 'supplier', 'VPN'])} flow #{i} "
                   + "with a long explanation of what exactly changes " * 6)[:255]
        stakeholders = tuple(UserRef(p, f"Person {PEOPLE.index(p)}") for p in rng.sample(PEOPLE, rng.randint(0, 3)))
        issues.append(Issue(
            key=key, id=str(i), project=project, project_name=PROJECT_NAMES.get(project), summary=summary,
            issue_type=rng.choice(["Story", "Bug", "Task"]),
            status=status, status_category={"todo": "new", "in_progress": "indeterminate", "done": "done"}[stage],
            created=created, updated=at, url=f"https://example.atlassian.net/browse/{key}",
            reach=rng.randint(10, 1000) if rng.random() < 0.85 else None, impact=rng.choice([0.5, 1, 2, 3]),
            confidence=rng.choice([50, 80, 100]), effort=rng.choice([1, 2, 3, 5, 8, 13]),
            objective=rng.choice(OBJECTIVES) if rng.random() < 0.9 else None, stakeholders=stakeholders,
            release_note=("Employees can now do this themselves, without a ticket: " * 4)[:240]
            if rng.random() < 0.5 else None,
            reporter=UserRef(rng.choice(PEOPLE), "Reporter"),
        ))  # fmt: skip
    return issues, changes
