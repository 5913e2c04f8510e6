"""Field resolution: `fields:` (canonical name -> Jira field name or id) against Jira's `/field`
list (`resolve_fields` -> FieldMap), what a search must ask for, and the pure checks of
`fields:`, each problem with its YAML line.

Offline (`check_field_config`): duplicates by configured value and model inputs left unmapped.
Online (`check_field_mappings`): unknown names with difflib "did you mean", ambiguous names,
type mismatches (a text field mapped to `effort`, a non-user field to `stakeholders`) and two
canonical names resolving to the same Jira field. An unknown *optional* field is a warning
naming the metric that becomes unavailable; everything else is an error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from goldenthread.mappings.config import Config, ConfigProblem
from goldenthread.mappings.yaml_lines import LineMap, line_for
from goldenthread.mappings.records import NUMERIC_FIELDS, RICH_TEXT_FIELDS, TEXT_FIELDS, USER_FIELDS

FieldKind = Literal["number", "text", "user", "richtext"]

#: System fields the mappings and metrics read; custom field ids are added from the FieldMap.
BASE_FIELDS: tuple[str, ...] = (
    "summary",
    "status",
    "issuetype",
    "project",
    "created",
    "updated",
    "resolutiondate",
    "reporter",
    "assignee",
    "labels",
    "components",
    "description",
)


def kind_of(canonical: str) -> FieldKind:
    if canonical in NUMERIC_FIELDS:
        return "number"
    if canonical in USER_FIELDS:
        return "user"
    if canonical in TEXT_FIELDS:
        return "text"
    if canonical in RICH_TEXT_FIELDS:
        return "richtext"
    raise KeyError(canonical)


# --- fields -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One entry of Jira's `/field` list."""

    id: str
    name: str
    type: str = ""  # schema.type: number, string, option, array, user, date, any, ...
    items: str = ""  # schema.items for arrays: user, option, string, ...
    custom: str = ""  # schema.custom plugin key, e.g. ...:multiuserpicker
    is_custom: bool = False

    def describe_type(self) -> str:
        if self.type == "array":
            return f"array of {self.items or 'values'}"
        return self.type or "unknown"


@dataclass(frozen=True)
class FieldMap:
    """Canonical name -> resolved Jira field, plus what could not be resolved."""

    fields: dict[str, FieldSpec] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)  # canonical -> configured value
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical -> candidate ids

    def id_for(self, canonical: str) -> str | None:
        spec = self.fields.get(canonical)
        return spec.id if spec else None

    def field_ids(self) -> list[str]:
        return sorted({s.id for s in self.fields.values()})


def parse_field_list(raw: Iterable[Mapping[str, Any]]) -> list[FieldSpec]:
    out = []
    for f in raw:
        schema = f.get("schema") or {}
        out.append(
            FieldSpec(
                id=str(f.get("id") or f.get("key") or ""),
                name=str(f.get("name") or ""),
                type=str(schema.get("type") or ""),
                items=str(schema.get("items") or ""),
                custom=str(schema.get("custom") or ""),
                is_custom=bool(f.get("custom", False)),
            )
        )
    return [s for s in out if s.id]


def resolve_fields(mapping: Mapping[str, str | None] | Any, field_list: Iterable[FieldSpec]) -> FieldMap:
    """Resolve each configured value by id first, then by name (case-insensitive).

    `mapping` is `config.fields` (a FieldsSection) or a plain dict. A name shared by several
    fields (Jira allows duplicate custom field names) resolves to the first custom one and is
    reported in `ambiguous` so `check` can ask for the id."""
    if hasattr(mapping, "mapped"):
        mapping = mapping.mapped()
    specs = list(field_list)
    by_id = {s.id: s for s in specs}
    by_id_folded = {s.id.casefold(): s for s in specs}
    by_name: dict[str, list[FieldSpec]] = {}
    for s in specs:
        by_name.setdefault(s.name.strip().casefold(), []).append(s)
    resolved: dict[str, FieldSpec] = {}
    unresolved: dict[str, str] = {}
    ambiguous: dict[str, tuple[str, ...]] = {}
    for canonical, value in mapping.items():
        if not value:
            continue
        wanted = str(value).strip()
        spec = by_id.get(wanted) or by_id_folded.get(wanted.casefold())
        if spec is None:
            candidates = by_name.get(wanted.casefold(), [])
            if len(candidates) > 1:
                ambiguous[canonical] = tuple(c.id for c in candidates)
                candidates = sorted(candidates, key=lambda c: (not c.is_custom, c.id))
            spec = candidates[0] if candidates else None
        if spec is None:
            unresolved[canonical] = wanted
        else:
            resolved[canonical] = spec
    return FieldMap(resolved, unresolved, ambiguous)


def build_search_fields(field_map: FieldMap) -> list[str]:
    """The explicit `fields` list for search: never `*all` (slow and huge)."""
    return list(BASE_FIELDS) + [i for i in field_map.field_ids() if i not in BASE_FIELDS]


#: Outcome inputs the docs call optional: without them only their metric is unavailable.
OPTIONAL_FIELDS: dict[str, str] = {
    "adoption": "adoption rate",
    "satisfaction": "satisfaction",
}

MODEL_INPUTS: dict[str, tuple[str, ...]] = {
    "rice": ("reach", "impact", "confidence", "effort"),
    "wsjf": ("business_value", "time_criticality", "risk_reduction", "effort"),
}

_NUMERIC_TYPES = {"number"}
# select lists holding numbers ("1", "2", "3") are common for impact/confidence: accepted, parsed.
_NUMERIC_OK = _NUMERIC_TYPES | {"option"}
_TEXT_OK = {"string", "option", "option-with-child", "any", "team", "number", "version", "project",
            "priority", "date", "datetime", "sd-customerorganization", "json"}
_USER_TYPES = {"user"}


def build_type_problem(canonical: str, spec: FieldSpec) -> str | None:
    """Why `spec` cannot hold `canonical`, or None when it can."""
    kind = kind_of(canonical)
    what = f"{spec.name!r} ({spec.id}) is a {spec.describe_type()} field"
    if kind == "number":
        if spec.type in _NUMERIC_OK:
            return None
        return f"{what}; {canonical} needs a number field (e.g. a Number custom field or a numeric select list)"
    if kind == "user":
        if spec.type in _USER_TYPES or (spec.type == "array" and spec.items in _USER_TYPES):
            return None
        return f"{what}; stakeholders needs a user picker (preferably a multi-user picker)"
    if spec.type in _TEXT_OK or (spec.type == "array" and spec.items in ("option", "string", "version", "component", "json")):
        return None
    return f"{what}; {canonical} needs a text, select or label-like field"


def _closest(value: str, fields: list[FieldSpec]) -> list[str]:
    names = {f.name: f for f in fields}
    folded = {n.casefold(): n for n in names}
    hits = difflib.get_close_matches(value.casefold(), list(folded), n=3, cutoff=0.6)
    out = [f"{folded[h]!r} ({names[folded[h]].id})" for h in hits]
    if not out and value.casefold().startswith("customfield_"):
        ids = difflib.get_close_matches(value, [f.id for f in fields], n=3, cutoff=0.8)
        out = [f"{i} ({next(f.name for f in fields if f.id == i)!r})" for i in ids]
    return out


def check_field_config(config: Config, lines: LineMap, source: str = "goldenthread.yaml") -> list[ConfigProblem]:
    """Checks that need no Jira: the same field mapped twice, scoring inputs left unmapped."""
    problems: list[ConfigProblem] = []
    mapped = config.fields.mapped()
    first_for: dict[str, str] = {}
    for canonical, value in mapped.items():
        norm = value.strip().casefold()
        if norm in first_for:
            path = f"fields.{canonical}"
            problems.append(ConfigProblem(source, line_for(lines, path), path,
                                          f"{value!r} is already mapped to {first_for[norm]}; "
                                          "one Jira field cannot hold two canonical values"))
        else:
            first_for[norm] = canonical
    inputs = MODEL_INPUTS.get(config.prioritisation.model, tuple(config.prioritisation.weights))
    missing = [name for name in inputs if name not in mapped]
    if missing:
        path = "fields"
        problems.append(ConfigProblem(
            source, line_for(lines, path), path,
            f"prioritisation model {config.prioritisation.model!r} needs {', '.join(missing)}, "
            "which are not mapped: every issue will be 'needs scoring'",
            "warning"))
    return problems


def check_field_mappings(
    config: Config,
    lines: LineMap,
    field_list: Iterable[FieldSpec],
    source: str = "goldenthread.yaml",
) -> tuple[FieldMap, list[ConfigProblem]]:
    """Resolve `fields:` against Jira's field list; the FieldMap and every problem found."""
    fields = list(field_list)
    field_map = resolve_fields(config.fields, fields)
    problems = [p for p in check_field_config(config, lines, source) if "already mapped" not in p.message]

    def add(canonical: str, message: str, severity: Literal["error", "warning"] = "error") -> None:
        path = f"fields.{canonical}"
        problems.append(ConfigProblem(source, line_for(lines, path), path, message, severity))

    for canonical, value in field_map.unresolved.items():
        hints = _closest(value, fields)
        hint = f"; did you mean {' or '.join(hints)}?" if hints else "; run `goldenthread fields` to list them"
        if canonical in OPTIONAL_FIELDS:
            add(canonical, f"no Jira field named or with id {value!r}{hint} "
                           f"(optional: the {OPTIONAL_FIELDS[canonical]} metric will be unavailable)", "warning")
        else:
            add(canonical, f"no Jira field named or with id {value!r}{hint}")
    for canonical, ids in field_map.ambiguous.items():
        chosen = field_map.id_for(canonical)
        add(canonical, f"{len(ids)} Jira fields are named {config.fields.mapped()[canonical]!r} "
                       f"({', '.join(ids)}); using {chosen}: write the id to be sure", "warning")
    owner: dict[str, str] = {}
    for canonical, spec in field_map.fields.items():
        problem = build_type_problem(canonical, spec)
        if problem:
            add(canonical, problem)
        if spec.id in owner:
            add(canonical, f"{spec.name!r} ({spec.id}) is also mapped to {owner[spec.id]}; "
                           "one Jira field cannot hold two canonical values")
        else:
            owner[spec.id] = canonical
    return field_map, problems
