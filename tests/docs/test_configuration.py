"""docs/configuration.md documents every key of the `goldenthread.yaml` schema and every
environment variable `Settings` reads, and names nothing the code does not have.

The convention the doc follows: each section of the file has a `## `name`` heading; each key of
it is the first cell of a table row under that heading, written as one code span holding its path
inside the section (`lookback_minutes`, `people[].power`, `rules[].when.component`; `[]` stands
for every item of a list). `goals` is itself a list, so its paths start at `goals[]`. A map
(`status_overrides`, `sla_days`...) is one key: its entries are data. A `default` column holds
the schema's default as YAML in a code span, or `—` for a required key. Elsewhere in the docs a
key is referred to by its full dotted path (`prioritisation.high_value_min`)."""

from __future__ import annotations

import re
import types
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from goldenthread.mappings.config import Config
from goldenthread.sync.settings import Settings
from tests.docs.markdown import ROOT, cell_names, code_span, code_spans, doc_files, read, sections, table_rows, tables

DOC = "docs/configuration.md"
ENV_HEADING = "Environment variables"
FILE_NAME = re.compile(r"\.(py|md|ya?ml|json|csv|html|toml|txt)$")  # `jira.py` is a module, not a key


def _model_in(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model a field holds and whether it holds a list of them; None for a leaf (maps too)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        models = [m for m in (_model_in(a) for a in get_args(annotation)) if m]
        return models[0] if models else None
    if origin in (list, tuple, set, frozenset):
        inner = _model_in(get_args(annotation)[0])
        return (inner[0], True) if inner else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None


def compute_key_paths(model: type[BaseModel], prefix: str = "") -> dict[str, bool]:
    """Every key path under `model` -> whether it is a map (whose entries are data)."""
    out: dict[str, bool] = {}
    for name, field in model.model_fields.items():
        path = prefix + (field.alias or name)
        out[path] = get_origin(field.annotation) is dict
        inner = _model_in(field.annotation)
        if inner:
            out.update(compute_key_paths(inner[0], path + ("[]." if inner[1] else ".")))
    return out


def parse_documented_keys(doc: str) -> dict[str, list[str]]:
    """Section -> the full key paths its tables document (see the module docstring)."""
    out: dict[str, list[str]] = {}
    for title, body in sections(doc, 2).items():
        name = code_span(title)
        if name is None:
            continue
        keys = out.setdefault(name, [])
        for cells in table_rows(body):
            keys += [c if c.startswith(name + "[") else f"{name}.{c}" for c in cell_names(cells[0])]
    return out


def find_key_problems(doc: str, model: type[BaseModel] = Config) -> list[str]:
    """Schema keys the doc leaves out, and keys or sections it documents that the schema lacks."""
    paths = compute_key_paths(model)
    top = {p for p in paths if "." not in p and "[" not in p}
    documented = parse_documented_keys(doc)
    problems = [f"section `{s}` has no `## `{s}`` heading" for s in sorted(top - set(documented))]
    problems += [f"`## `{s}`` documents no section of the schema" for s in sorted(set(documented) - top)]
    listed = {k for keys in documented.values() for k in keys} | set(documented)
    problems += [f"`{p}` is not documented" for p in sorted(set(paths) - listed)]
    problems += [f"`{k}` is documented but is no key of the schema" for keys in documented.values()
                 for k in keys if k not in paths]
    return problems


def field_at(path: str, model: type[BaseModel] = Config) -> FieldInfo | None:
    """The pydantic field of a full key path (`stakeholders.people[].power`), None if none."""
    names = path.replace("[]", "").split(".")
    for i, name in enumerate(names):
        field = model.model_fields.get(name)
        if field is None:
            return None
        if i == len(names) - 1:
            return field
        inner = _model_in(field.annotation)
        if inner is None:
            return None
        model = inner[0]
    return None


def _doc_value(text: str, field: FieldInfo) -> Any:
    """A default as the doc writes it (YAML, as in the file), validated as the field's type."""
    if text == "null":
        return None
    adapter: TypeAdapter[Any] = TypeAdapter(field.annotation)
    try:  # BaseLoader: `off` stays the word, as the schema reads it
        return adapter.validate_python(yaml.load(text, Loader=yaml.BaseLoader))  # noqa: S506 - strings, lists, maps only
    except (yaml.YAMLError, ValidationError):
        # `*/15 * * * *` or `Stakeholder meeting {month}: minutes`: a title the file would quote
        return adapter.validate_python(text)


def find_default_problems(doc: str) -> list[str]:
    """Rows whose `default` cell disagrees with the schema: `—` for a key that has a default (or
    the reverse), or a value other than the schema's."""
    problems = []
    for title, body in sections(doc, 2).items():
        name = code_span(title)
        for header, rows in tables(body) if name else ():
            if "default" not in header:
                continue
            col = header.index("default")
            for cells in rows:
                for key in cell_names(cells[0]):
                    path = key if key.startswith(f"{name}[") else f"{name}.{key}"
                    field = field_at(path)
                    if field is None:
                        continue  # find_key_problems names it
                    cell = cells[col]
                    if field.is_required() or cell == "—":
                        if field.is_required() != (cell == "—"):
                            problems.append(f"`{path}`: default {cell}, but required is {field.is_required()}")
                        continue
                    text = code_span(cell)
                    expected = field.get_default(call_default_factory=True)
                    if text is None or _doc_value(text, field) != expected:
                        problems.append(f"`{path}`: default {cell}, the schema's is {expected!r}")
    return problems


def find_unknown_references(text: str, model: type[BaseModel] = Config) -> list[str]:
    """Dotted key paths in code spans (`publish.later_limit`) that name no key of the schema; a
    path into a map (`outcomes.sla_days.default`) is fine."""
    paths = compute_key_paths(model)
    top = sorted(p for p in paths if "." not in p and "[" not in p)
    ref = re.compile(rf"(?:{'|'.join(top)})(?:\[\])?(?:\.\w+(?:\[\])?)+(?:\[[^\]]*\]|\.\w+)*")
    bad = []
    for span in code_spans(text):
        if not ref.fullmatch(span) or FILE_NAME.search(span):
            continue
        ok = span in paths or any(is_map and (span.startswith(p + ".") or span.startswith(p + "["))
                                  for p, is_map in paths.items())
        if not ok:
            bad.append(span)
    return bad


def env_variables() -> set[str]:
    return {(f.alias or name).upper() for name, f in Settings.model_fields.items()}


def find_env_problems(doc: str) -> list[str]:
    body = sections(doc, 2).get(ENV_HEADING, "")
    listed = {v for cells in table_rows(body) if (v := code_span(cells[0]))}
    wanted = env_variables()
    return ([f"`{v}` is not in the {ENV_HEADING} table" for v in sorted(wanted - listed)]
            + [f"`{v}` is listed but Settings does not read it" for v in sorted(listed - wanted)])


def test_every_schema_key_is_documented_and_no_other() -> None:
    assert find_key_problems(read(DOC)) == []


def test_every_documented_default_is_the_schemas() -> None:
    assert find_default_problems(read(DOC)) == []


def test_key_paths_named_anywhere_in_the_docs_exist() -> None:
    bad = {p.relative_to(p.parents[1]).as_posix(): refs for p in doc_files()
           if (refs := find_unknown_references(p.read_text(encoding="utf-8")))}
    assert bad == {}


def test_every_environment_variable_is_documented_and_no_other() -> None:
    assert env_variables() >= {"JIRA_URL", "GOLDENTHREAD_DATABASE_URL"}  # the walk sees the fields
    assert find_env_problems(read(DOC)) == []


ENV_NAME = re.compile(r"\b(?:GOLDENTHREAD|JIRA|CONFLUENCE)_[A-Z_]+\b")
TEST_ONLY_ENV = {"GOLDENTHREAD_TEST_PG"}  # read by tests/conftest.py, not by goldenthread


def test_every_variable_the_docs_and_deploy_files_set_is_read() -> None:
    files = [*doc_files(), ROOT / "compose.yaml", ROOT / "Dockerfile", *sorted((ROOT / "deploy").rglob("*.yaml"))]
    named = {m for p in files if p.is_file() for m in ENV_NAME.findall(p.read_text(encoding="utf-8"))}
    assert "JIRA_TOKEN" in named
    assert sorted(named - env_variables() - TEST_ONLY_ENV) == []


# The checks themselves, on a doc that drifted:

DRIFTED = """
## `jira`

| key | type |
|---|---|
| `backlog_jql` | string |
| `lookback` | integer |
| `status_overrides`, `backlog` | map |

## `goals`

| key | type |
|---|---|
| `goals[].name` | string |

## Environment variables

| variable | default |
|---|---|
| `JIRA_URL` | — |
| `JIRA_PASSWORD` | — |
"""


def test_the_key_check_names_missing_and_unknown_keys() -> None:
    problems = find_key_problems(DRIFTED)
    assert "`jira.lookback_minutes` is not documented" in problems
    assert "`jira.backlog` is documented but is no key of the schema" in problems
    assert not any("`jira.status_overrides`" in p for p in problems)  # the second name of a row too
    assert "`jira.lookback` is documented but is no key of the schema" in problems
    assert "`goals[].objectives[].kpis[].baseline.date` is not documented" in problems
    assert "section `publish` has no `## `publish`` heading" in problems
    assert not any("goals[].name" in p for p in problems)


def test_the_default_check_names_wrong_defaults() -> None:
    doc = """
## `stakeholders`

| key | type | default | meaning |
|---|---|---|---|
| `write_back` | word | `off` | yaml 1.1 would read a boolean |
| `people[].power` | word | `high` | wrong |
| `people[].id` | string | — | required |
| `people[].name` | string | — | has a default |
| `rules[].add` | list | `[]` | right |

## `schedule`

| key | type | default | meaning |
|---|---|---|---|
| `sync` | cron | `*/15 * * * *` | not YAML, still the string |
| `monthly_report` | cron | `null` | wrong |
"""
    assert find_default_problems(doc) == [
        "`stakeholders.people[].power`: default `high`, the schema's is 'low'",
        "`stakeholders.people[].name`: default —, but required is False",
        "`schedule.monthly_report`: default `null`, the schema's is '0 8 1 * *'",
    ]


def test_the_walk_reaches_nested_models_and_knows_maps() -> None:
    paths = compute_key_paths(Config)
    assert paths["outcomes.sla_days"] is True and paths["publish.space"] is False
    assert {"stakeholders.rules[].when.reporter", "outcomes.surveys[].format",
            "goals[].objectives[].kpis[].target.value"} <= set(paths)


def test_the_reference_check_names_keys_that_do_not_exist() -> None:
    text = ("`fields.efort`, `publish.later_limit`, `outcomes.sla_days.default`, `stakeholders.people[].id`, "
            "`goals[].objectives[].wieght`, `goldenthread.yaml:14 (fields.efort)`, `jira.status_overrides`, `fields.py`")
    assert find_unknown_references(text) == ["fields.efort", "goals[].objectives[].wieght"]


def test_the_environment_check_names_missing_and_unknown_variables() -> None:
    problems = find_env_problems(DRIFTED)
    assert "`JIRA_TOKEN` is not in the Environment variables table" in problems
    assert "`JIRA_PASSWORD` is listed but Settings does not read it" in problems
    assert not any("`JIRA_URL`" in p for p in problems)
