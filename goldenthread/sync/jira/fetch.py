"""Jira reads for the sync: search pages (paged as the deployment pages them: Cloud
nextPageToken, DC startAt), changelog bulkfetch, census, fields, statuses, the user's time zone. Every call goes through atlassian-python-api's
generic `get`/`post` on the right path (its helpers default to `fields=*all` or send the wrong
bulkfetch body). Failures become our errors here, so callers see one vocabulary.

Tests: tests/sync/jira/test_ingest.py, tests/sync/jira/test_ingest_sandbox.py
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from goldenthread.mappings.jira import parse_bulk_changelogs
from goldenthread.mappings.jira_wire import parse_bulk_changelog_body, parse_json
from goldenthread.sync.http.atlassian import JiraHandle, build_path
from goldenthread.sync.http.errors import AuthError, BadRequestError, NotFoundError, classify_error
from goldenthread.sync.errors import BadUsage, RunFailed

log = logging.getLogger(__name__)
T = TypeVar("T")

BULK_ISSUES = 1000  # bulkfetch accepts at most 1000 issues a call
BULK_MAX_RESULTS = 10000  # histories per bulkfetch page (Jira's maximum), so ~1 call per 1000 issues


@dataclass
class SearchPage:
    index: int
    issues: list[dict[str, Any]]
    total: int | None = None
    stream: int = 0  # which of the side-by-side searches of a full sync it belongs to
    end: bool = False  # marks the end of its stream (no issues)


def raise_jira_error(exc: BaseException, jira: JiraHandle, *, jql: str | None = None) -> None:
    """Turn a failed call into RunFailed/BadUsage with Jira's own message, never a token."""
    err = classify_error(exc, service="jira")
    if isinstance(err, BadRequestError) and jql is not None:
        said = "; ".join(err.messages) or str(err)
        raise BadUsage(f"Jira rejected the backlog JQL (jira.backlog_jql): {said}\n  JQL: {jql}") from None
    if isinstance(err, AuthError):
        raise RunFailed(
            f"Jira at {jira.base_url} refused the credentials ({err.status}): check JIRA_USER / JIRA_TOKEN"
            + (" and that this user may browse the backlog projects" if err.status == 403 else "")
        ) from None
    # no verb of our own ("sync failed"): `check`, `fields`, `sync` and `serve` all come here,
    # and the CLI names the command; the error says which Jira call failed and why
    raise RunFailed(str(err)) from None


def _call(
    jira: JiraHandle, method: str, path: str, *, jql: str | None = None,
    decode: Callable[[bytes], Any] = parse_json, **kwargs: Any,
) -> Any:
    try:
        # advanced_mode hands back the raw response: the library would decode the body to text twice
        # and parse it with the stdlib json, a large CPU cost of a sync (bulkfetch pages run to MBs)
        if method == "GET":
            resp = jira.client.get(path, advanced_mode=True, **kwargs)
        else:
            resp = jira.client.post(path, advanced_mode=True, **kwargs)
        jira.client.raise_for_status(resp)
        return decode(resp.content)
    except (RunFailed, BadUsage):
        raise
    except Exception as exc:  # noqa: BLE001 - classified below, message kept
        raise_jira_error(exc, jira, jql=jql)
        raise  # unreachable: raise_jira_error always raises


def fetch_field_list(jira: JiraHandle) -> list[dict[str, Any]]:
    return list(_call(jira, "GET", f"{jira.profile.jira_rest}/field") or [])


def fetch_status_list(jira: JiraHandle) -> list[dict[str, Any]]:
    return list(_call(jira, "GET", f"{jira.profile.jira_rest}/status") or [])


def fetch_user_timezone(jira: JiraHandle) -> str | None:
    """JQL dates are read in the searching user's time zone (/myself timeZone)."""
    try:
        me = jira.client.get(f"{jira.profile.jira_rest}/myself") or {}
    except Exception as exc:  # noqa: BLE001 - optional: fall back to UTC and say so
        err = classify_error(exc, service="jira")
        if isinstance(err, AuthError):
            raise_jira_error(exc, jira)
        log.warning("could not read /myself (%s); reading JQL dates as UTC", err)
        return None
    tz = me.get("timeZone") if isinstance(me, dict) else None
    return str(tz) if tz else None


class RepeatedToken(RunFailed):
    pass


def _check_token(token: str | None, seen: set[str], what: str) -> None:
    if token is None:
        return
    if token in seen:
        raise RepeatedToken(
            f"Jira returned the {what} page token {token[:24]!r} twice; stopping instead of looping "
            "(nothing after the last committed page was lost; re-run the sync)"
        )
    seen.add(token)


def _paged_by_token(fetch_page: Callable[[str | None], tuple[T, str | None, bool]], what: str) -> Iterator[T]:
    """THE token-paging loop (Cloud's search/jql and changelog bulkfetch): `fetch_page(token)`
    returns (page, next token, last?); pages are yielded in order until the last one. A token
    Jira hands out twice would loop forever: that stops the run instead."""
    seen: set[str] = set()
    token: str | None = None
    while True:
        page, token, last = fetch_page(token)
        yield page
        if last or token is None:
            return
        _check_token(token, seen, what)


def _search_pages(
    jira: JiraHandle, jql: str, fields: Sequence[str], page_size: int, *, expand: str | None, what: str,
) -> Iterator[SearchPage]:
    """Issues matching `jql`, page by page, the way the deployment pages its search."""
    profile = jira.profile
    if profile.token_paging:

        def fetch(token: str | None) -> tuple[list[dict[str, Any]], str | None, bool]:
            params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "maxResults": page_size}
            if expand:
                params["expand"] = expand
            if token:
                params["nextPageToken"] = token
            body = _call(jira, "GET", profile.search_path, jql=jql, params=params) or {}
            following = body.get("nextPageToken") or None
            return list(body.get("issues") or []), following, bool(body.get("isLast", following is None))

        for index, issues in enumerate(_paged_by_token(fetch, what)):
            yield SearchPage(index, issues)
        return
    start = 0
    index = 0
    while True:
        params: dict[str, Any] = {"jql": jql, "fields": ",".join(fields), "startAt": start, "maxResults": page_size}
        if expand:
            params["expand"] = expand
        body = _call(jira, "GET", profile.search_path, jql=jql, params=params) or {}
        issues = list(body.get("issues") or [])
        total = body.get("total")
        yield SearchPage(index, issues, total)
        index += 1
        start += len(issues)
        # the server may cap maxResults below what we asked: follow what it returned, stop on empty
        if not issues or body.get("isLast") or (isinstance(total, int) and start >= total):
            return


def fetch_search_pages(
    jira: JiraHandle, jql: str, fields: Sequence[str], *, page_size: int | None = None,
) -> Iterator[SearchPage]:
    """Issues matching `jql` page by page, in Jira's order (the JQL says ORDER BY updated ASC);
    on Data Center with their status history embedded (Cloud's comes from bulkfetch)."""
    profile = jira.profile
    yield from _search_pages(jira, jql, fields, page_size or profile.search_page,
                             expand="changelog" if profile.changelog_in_search else None, what="search")


def fetch_census(jira: JiraHandle, jql: str) -> dict[str, str]:
    """Every issue the backlog JQL returns now, key -> id: ids only, large pages (cheap)."""
    found: dict[str, str] = {}
    # only id/key keeps a Cloud page at 5000 issues; search/jql returns just `id` unless asked
    for page in _search_pages(jira, jql, ["key"], jira.profile.census_page, expand=None, what="census"):
        for i in page.issues:
            if i.get("key"):
                found[str(i["key"])] = str(i.get("id") or "")
    return found


def fetch_bulk_changelogs(jira: JiraHandle, issue_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Full status history of up to 1000 issues: POST /rest/api/3/changelog/bulkfetch, paged by its
    own token. Never `expand=changelog` on Cloud: it stops at 100 histories."""
    if len(issue_ids) > BULK_ISSUES:
        raise ValueError(f"bulkfetch takes at most {BULK_ISSUES} issues, got {len(issue_ids)}")
    out: dict[str, list[dict[str, Any]]] = {}
    if not issue_ids:
        return out
    path = f"{jira.profile.jira_rest}/changelog/bulkfetch"

    def fetch(token: str | None) -> tuple[dict[str, list[Any]], str | None, bool]:
        data: dict[str, Any] = {"issueIdsOrKeys": list(issue_ids), "fieldIds": ["status"],
                                "maxResults": BULK_MAX_RESULTS}  # fmt: skip
        if token:
            data["nextPageToken"] = token
        body = _call(jira, "POST", path, data=data, decode=parse_bulk_changelog_body) or {}
        page, following = parse_bulk_changelogs(body)
        return page, following, not page

    for page in _paged_by_token(fetch, "changelog bulkfetch"):
        for issue_id, histories in page.items():
            out.setdefault(issue_id, []).extend(histories)
    return out


def fetch_issue(jira: JiraHandle, key: str, fields: Sequence[str]) -> dict[str, Any] | None:
    """One issue (DC: with its changelog); None when Jira says it does not exist or is hidden."""
    params: dict[str, Any] = {"fields": ",".join(fields)}
    if jira.profile.changelog_in_search:
        params["expand"] = "changelog"
    try:
        return jira.client.get(build_path(jira.profile.jira_rest, "issue", key), params=params)
    except Exception as exc:  # noqa: BLE001 - 404 is an answer here, not a failure
        if isinstance(classify_error(exc, service="jira"), NotFoundError):
            return None
        raise_jira_error(exc, jira)
        raise


def _paged_values(jira: JiraHandle, path: str) -> list[dict[str, Any]]:
    """Every `values` item of a startAt-paged list (the field context and option APIs)."""
    out: list[dict[str, Any]] = []
    start = 0
    while True:
        body = jira.client.get(path, params={"startAt": start, "maxResults": 100}) or {}
        values = list(body.get("values") or ())
        out.extend(v for v in values if isinstance(v, dict))
        start += len(values)
        if body.get("isLast", True) or not values:
            return out


@dataclass(frozen=True)
class OptionList:
    """The options of a select field (`values`), or None with why when Jira would not list
    them (`problem`, None when the field simply has no options)."""

    values: list[str] | None
    problem: str | None = None


def fetch_option_list(jira: JiraHandle, field_id: str) -> OptionList:
    """Option values of a select field (disabled ones included: old work still names them).

    Cloud: every context of the field, then each context's options; Data Center:
    /rest/api/2/customFields/{number}/options. Both APIs need the Administer Jira permission:
    a refusal is no error (`check` falls back to the synced values) but is said in `problem`."""
    if not field_id.startswith("customfield_"):
        return OptionList(None)
    try:
        rest = jira.profile.jira_rest
        if jira.profile.cloud:  # options live per field context on Cloud; DC lists them per field
            contexts = _paged_values(jira, f"{rest}/field/{field_id}/context")
            options = [o for c in contexts if c.get("id") is not None
                       for o in _paged_values(jira, f"{rest}/field/{field_id}/context/{c['id']}/option")]
        else:
            options = _paged_values(jira, f"{rest}/customFields/{field_id.removeprefix('customfield_')}/options")
    except Exception as exc:  # noqa: BLE001 - optional: `check` falls back to the synced values
        err = classify_error(exc, service="jira")
        log.info("could not list the options of %s (%s)", field_id, err)
        status = getattr(err, "status", None)
        if status in (401, 403):
            return OptionList(None, f"Jira refused: {status}; listing a field's options needs the "
                                    "Administer Jira permission")  # fmt: skip
        return OptionList(None, str(err))
    values = sorted({str(o["value"]) for o in options if o.get("value")})
    return OptionList(values or None)


def fetch_field_options(jira: JiraHandle, field_id: str) -> list[str] | None:
    """`fetch_option_list`'s values: None when Jira does not answer or the field has none."""
    return fetch_option_list(jira, field_id).values
