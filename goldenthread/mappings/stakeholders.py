"""Stakeholder rules, the power/interest grid, write plans and own-change detection (pure).

Stakeholders of an issue = the users already in the mapped Stakeholders field ∪ everyone the
`stakeholders.rules` add (keys inside one `when` are ANDed; `{reporter: true}` adds the
reporter), whatever `write_back` says (docs/metrics.md). Every stakeholder keeps the reasons that put
it there, for display ("added because component = Payroll").

Matching is case-insensitive (`str.casefold`) on every key: admins type "payroll" for the
"Payroll" component and expect it to match; Jira itself treats component, issue type and project
names case-insensitively in JQL, so this is the least surprising choice.

Bad rules (unknown person, field not mapped, malformed id) are errors for `goldenthread check`
(`check_stakeholder_rules`, with the YAML line) and, at run time, skipped with one warning each
(`build_stakeholder_plan`), so a bad id is never written to Jira.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from goldenthread.mappings.config import Config, ConfigProblem
from goldenthread.mappings.config_sections import Person, Rule
from goldenthread.mappings.deployment import DeploymentKind, compute_user_id_problem
from goldenthread.mappings.records import Issue, UserRef
from goldenthread.mappings.yaml_lines import LineMap, line_for

Quadrant = Literal["manage_closely", "keep_satisfied", "keep_informed", "monitor"]
#: Display order of the grid: the monthly report addresses stakeholders in this order.
QUADRANT_ORDER: tuple[Quadrant, ...] = ("manage_closely", "keep_satisfied", "keep_informed", "monitor")
QUADRANT_LABELS: dict[Quadrant, str] = {
    "manage_closely": "manage closely",
    "keep_satisfied": "keep satisfied",
    "keep_informed": "keep informed",
    "monitor": "monitor",
}

#: `when` keys that read a mapped custom field: a rule on them needs `fields.<key>` mapped.
_FIELD_BACKED_KEYS: tuple[str, ...] = ("team", "objective")
_MATCH_KEYS: tuple[str, ...] = ("component", "label", "issue_type", "team", "objective", "project")

FIELD_REASON = "already in the Stakeholders field"
REPORTER_REASON = "reporter"


# --- power / interest grid -------------------------------------------------------------------


def compute_quadrant(person: Person) -> Quadrant:
    if person.power == "high":
        return "manage_closely" if person.interest == "high" else "keep_satisfied"
    return "keep_informed" if person.interest == "high" else "monitor"


def compute_people_order(people: Iterable[Person]) -> list[Person]:
    """People in grid order (manage closely first), then by name and id, for the monthly report."""
    return sorted(
        people,
        key=lambda p: (QUADRANT_ORDER.index(compute_quadrant(p)), (p.name or p.id).casefold(), p.id),
    )


# --- ids --------------------------------------------------------------------------------------


def id_key(user_id: str) -> str:
    # Data Center usernames are case-insensitive; Cloud accountIds never differ only by case.
    return user_id.casefold()


# --- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompiledRule:
    index: int  # position in stakeholders.rules, for messages
    conditions: tuple[tuple[str, str], ...]  # (key, casefolded expected value)
    display: tuple[tuple[str, str], ...]  # (key, value as the admin wrote it)
    add: tuple[str, ...]
    reporter: bool

    def describe(self) -> str:
        return " and ".join(f"{k} = {v}" for k, v in self.display) or "every issue"


@dataclass(frozen=True, slots=True)
class StakeholderPlan:
    """Config compiled for run time: only valid rules, and one warning per skipped rule."""

    rules: tuple[CompiledRule, ...]
    people: Mapping[str, Person]  # casefolded id -> person
    write_back: Literal["field", "watchers", "off"]
    field_mapped: bool
    deployment: DeploymentKind | None
    warnings: tuple[str, ...] = ()
    skipped_rules: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Stakeholder:
    id: str
    name: str
    reasons: tuple[str, ...]
    in_field: bool  # already in the Jira Stakeholders field
    quadrant: Quadrant | None  # None when the person is not in `people`


def _rule_problems(
    rule: Rule, index: int, people: Collection[str], mapped: Collection[str], deployment: DeploymentKind | None
) -> list[tuple[str, str]]:
    """(dotted path, message) for everything wrong with one rule."""
    base = f"stakeholders.rules.{index}"
    problems: list[tuple[str, str]] = []
    for key in _FIELD_BACKED_KEYS:
        if getattr(rule.when, key) is not None and key not in mapped:
            problems.append(
                (f"{base}.when.{key}", f"rule {index} matches on {key!r} but fields.{key} is not mapped")
            )
    for i, user_id in enumerate(rule.add):
        bad = compute_user_id_problem(user_id, deployment)
        if bad:
            problems.append((f"{base}.add.{i}", f"rule {index}: {bad}"))
        elif id_key(user_id) not in people:
            problems.append(
                (f"{base}.add.{i}", f"rule {index} adds {user_id!r}, who is not listed in stakeholders.people")
            )
    return problems


def _default_mapped(config: Config) -> set[str]:
    return set(config.fields.mapped())


def check_stakeholder_rules(
    config: Config,
    line_map: LineMap,
    mapped_fields: Collection[str] | None = None,
    deployment: DeploymentKind | None = None,
    source: str = "goldenthread.yaml",
) -> list[ConfigProblem]:
    """Problems with `stakeholders:` for `goldenthread check`, each with its YAML line.

    `mapped_fields`: canonical names that are mapped (and, when Jira was reachable, resolved);
    defaults to the names present in `fields:`.
    """
    mapped = _default_mapped(config) if mapped_fields is None else set(mapped_fields)
    section = config.stakeholders
    problems: list[ConfigProblem] = []

    def add(path: str, message: str, severity: Literal["error", "warning"] = "error") -> None:
        problems.append(ConfigProblem(source, line_for(line_map, path), path, message, severity))

    seen: set[str] = set()
    for i, person in enumerate(section.people):
        bad = compute_user_id_problem(person.id, deployment)
        if bad:
            add(f"stakeholders.people.{i}.id", bad)
        if id_key(person.id) in seen:
            add(f"stakeholders.people.{i}.id", f"{person.id!r} is listed twice", "warning")
        seen.add(id_key(person.id))
    if section.write_back == "field" and "stakeholders" not in mapped:
        add("stakeholders.write_back", "write_back is 'field' but fields.stakeholders is not mapped")
    for i, rule in enumerate(section.rules):
        for path, message in _rule_problems(rule, i, seen, mapped, deployment):
            add(path, message)
        if not rule.add and not rule.when.reporter:
            add(f"stakeholders.rules.{i}", f"rule {i} adds nobody (no 'add' and no 'reporter: true')", "warning")
    return problems


def _compile(rule: Rule, index: int) -> CompiledRule:
    display = tuple(
        (key, str(getattr(rule.when, key))) for key in _MATCH_KEYS if getattr(rule.when, key) is not None
    )
    return CompiledRule(
        index=index,
        conditions=tuple((k, v.casefold()) for k, v in display),
        display=display,
        add=tuple(rule.add),
        reporter=bool(rule.when.reporter),
    )


def build_stakeholder_plan(
    config: Config, mapped_fields: Collection[str] | None = None, deployment: DeploymentKind | None = None
) -> StakeholderPlan:
    """Compile the rules for run time; a bad rule is dropped with exactly one warning."""
    mapped = _default_mapped(config) if mapped_fields is None else set(mapped_fields)
    section = config.stakeholders
    people: dict[str, Person] = {}
    for person in section.people:
        if compute_user_id_problem(person.id, deployment) is None:
            people.setdefault(id_key(person.id), person)
    rules: list[CompiledRule] = []
    warnings: list[str] = []
    skipped: list[int] = []
    for i, rule in enumerate(section.rules):
        problems = _rule_problems(rule, i, people, mapped, deployment)
        if problems:
            skipped.append(i)
            why = "; ".join(message for _, message in problems)
            warnings.append(f"stakeholder rule {i} skipped: {why}")
            continue
        rules.append(_compile(rule, i))
    field_mapped = "stakeholders" in mapped
    if section.write_back == "field" and not field_mapped:
        warnings.append("stakeholder write-back skipped: write_back is 'field' but fields.stakeholders is not mapped")
    return StakeholderPlan(
        rules=tuple(rules),
        people=people,
        write_back=section.write_back,
        field_mapped=field_mapped,
        deployment=deployment,
        warnings=tuple(warnings),
        skipped_rules=tuple(skipped),
    )


class RuleSubject(Protocol):
    """What the rules read of an issue: an `Issue`, or a row of the report's issue table."""

    @property
    def project(self) -> str: ...
    @property
    def issue_type(self) -> str: ...
    @property
    def components(self) -> tuple[str, ...]: ...
    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def team(self) -> str | None: ...
    @property
    def objective(self) -> str | None: ...


def _issue_values(issue: RuleSubject, key: str) -> tuple[str, ...]:
    if key == "component":
        return issue.components
    if key == "label":
        return issue.labels
    value = {"issue_type": issue.issue_type, "team": issue.team, "objective": issue.objective,
             "project": issue.project}[key]
    # a table row reads a missing value as NaN, a record as None
    return (value,) if isinstance(value, str) and value else ()


def compute_rule_matches(rule: CompiledRule, issue: RuleSubject) -> bool:
    """Every match key holds (AND). `reporter: true` is not a filter: it says *whom* to add, so an
    issue without a reporter still gets the rule's `add` list."""
    return all(
        expected in {v.casefold() for v in _issue_values(issue, key)} for key, expected in rule.conditions
    )


def compute_matching_rules(issue: RuleSubject, plan: StakeholderPlan) -> tuple[CompiledRule, ...]:
    return tuple(rule for rule in plan.rules if compute_rule_matches(rule, issue))


def _contributions(
    field_users: Iterable[UserRef], reporter: UserRef | None, rules: Iterable[CompiledRule]
) -> Iterator[tuple[UserRef, str, bool]]:
    """THE definition of an issue's stakeholders (docs/metrics.md): (user, reason, from the field) for
    the mapped field's users in field order, then each matching rule's additions in rule order
    (its `add` list, then the reporter for `reporter: true`), whatever `write_back` says. Every
    consumer (records, the report's issue table, write-back) folds these the same way."""
    for user in field_users:
        yield user, FIELD_REASON, True
    for rule in rules:
        for user_id in rule.add:
            yield UserRef(user_id), f"added because {rule.describe()}", False
        if rule.reporter and reporter is not None:
            extra = f" ({rule.describe()})" if rule.display else ""
            yield reporter, REPORTER_REASON + extra, False


def compute_stakeholder_ids(
    field_ids: Sequence[str], reporter_id: str | None, rules: Sequence[CompiledRule]
) -> tuple[str, ...]:
    """The ids of `compute_issue_stakeholders`, in its order (one per person, case-insensitively),
    from ids alone: how the report's issue table gets its `stakeholder_ids`. `rules`: the
    issue's `compute_matching_rules`."""
    if not rules and len(field_ids) < 2:
        return tuple(field_ids)  # nothing to add, nothing to fold: the common case, kept cheap
    seen: set[str] = set()
    out: list[str] = []
    reporter = UserRef(reporter_id) if reporter_id else None
    for user, _, _ in _contributions(map(UserRef, field_ids), reporter, rules):
        k = id_key(user.id)
        if k not in seen:
            seen.add(k)
            out.append(user.id)
    return tuple(out)


def compute_issue_stakeholders(issue: Issue, plan: StakeholderPlan) -> tuple[Stakeholder, ...]:
    """Field users first (in field order), then rule additions in rule order; reasons merged."""
    order: list[str] = []
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    reasons: dict[str, list[str]] = {}
    in_field: set[str] = set()
    contributions = _contributions(issue.stakeholders, issue.reporter, compute_matching_rules(issue, plan))
    for user, reason, from_field in contributions:
        k = id_key(user.id)
        if k not in ids:
            order.append(k)
            ids[k] = user.id
            reasons[k] = []
        if user.name and not names.get(k):
            names[k] = user.name
        if reason not in reasons[k]:
            reasons[k].append(reason)
        if from_field:
            in_field.add(k)
    result = []
    for k in order:
        person = plan.people.get(k)
        name = names.get(k) or (person.name if person else "")
        result.append(
            Stakeholder(
                id=ids[k],
                name=name,
                reasons=tuple(reasons[k]),
                in_field=k in in_field,
                quadrant=compute_quadrant(person) if person else None,
            )
        )
    return tuple(result)


def compute_stakeholders(issues: Iterable[Issue], plan: StakeholderPlan) -> dict[str, tuple[Stakeholder, ...]]:
    return {issue.key: compute_issue_stakeholders(issue, plan) for issue in issues}
