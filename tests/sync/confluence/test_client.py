"""ConfluenceApi reads the pages Confluence answers (the sample payloads of tests/fixtures/atlassian):
Cloud v2 page get, Data Center v1 create and update, and the 409 of a stale version."""

from __future__ import annotations


import httpx
import pytest
import respx
from pydantic import SecretStr

from goldenthread.sync.confluence.client import ConfluenceApi, LivePage
from goldenthread.sync.http.atlassian import build_confluence
from goldenthread.sync.http.errors import ConflictError
from goldenthread.sync.settings import Settings
from tests.conftest import FIXTURES

CLOUD = "https://northwind-it.atlassian.net/wiki"
DC = "https://wiki.northwind.example"


def sample(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def api(url: str, deployment: str) -> ConfluenceApi:
    settings = Settings(confluence_url=url, confluence_user="", confluence_token=SecretStr("pat"), jira_url="")
    return ConfluenceApi(build_confluence(settings, deployment=deployment), "IPM")  # type: ignore[arg-type]


def test_cloud_v2_page_get_gives_version_author_storage_and_the_web_url() -> None:
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(f"{CLOUD}/api/v2/pages/131074").respond(200, text=sample("confluence-v2-page-get.json"))
        page = api(CLOUD, "cloud").get_page("131074", body=True)
    assert route.calls.last.request.url.params["body-format"] == "storage"
    assert page == LivePage(
        id="131074", title="What's new", version=7, author_id="712020:9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
        storage="<h2>Now</h2><p>Self-service address change in the HR portal</p>",
        url=f"{CLOUD}/spaces/IPM/pages/131074/What%27s+new", message="goldenthread: 1 item changed",
    )


def test_data_center_v1_create_then_update_read_the_answer_not_the_request() -> None:
    with respx.mock(assert_all_called=True) as mock:
        mock.post(f"{DC}/rest/api/content").respond(200, text=sample("confluence-v1-content-create.json"))
        mock.put(f"{DC}/rest/api/content/4784129").respond(200, text=sample("confluence-v1-content-update.json"))
        client = api(DC, "datacenter")
        created = client.create_page("Roadmap", "<p>draft</p>", "4751362")
        updated = client.update_page("4784129", "Roadmap", "<p>new</p>", 12, "goldenthread: 2 items changed")
    assert (created.id, created.version, created.author_id) == ("4784129", 1, "goldenthread-bot")
    assert created.url == f"{DC}/display/IPM/Roadmap"
    assert updated.version == 12
    # the storage Confluence keeps: Jira text escaped once, as the page builder wrote it
    assert updated.storage == "<h2>Now</h2><p>Three-way match for invoices under 5 000 € &lt;auto-approve&gt;</p>"


def test_a_stale_version_is_a_conflict_naming_the_current_one() -> None:
    with respx.mock() as mock:
        mock.put(f"{DC}/rest/api/content/4784129").mock(
            return_value=httpx.Response(409, text=sample("confluence-v1-content-update-409.json")))
        with pytest.raises(ConflictError) as info:
            api(DC, "datacenter").update_page("4784129", "Roadmap", "<p>x</p>", 12, "m")
    assert info.value.status == 409
    assert "Current version is: 12" in str(info.value)


@pytest.mark.parametrize("url,deployment,where", [(CLOUD, "cloud", "extensions"), (DC, "datacenter", "metadata")])
def test_attachments_come_with_their_version_comment_and_uploads_send_one(url: str, deployment: str, where: str) -> None:
    """The comment carries goldenthread's hash marker (confluence.ownership)."""
    listing = {"results": [
        {"id": "att1", "title": "chart.png", where: {"mediaType": "image/png", "comment": "goldenthread [gt:0123456789abcdef]"}},
        {"id": "att2", "title": "other.png", "extensions": {"mediaType": "image/png"}},
    ], "size": 2}
    with respx.mock(assert_all_called=True) as mock:
        mock.get(f"{url}/rest/api/content/42/child/attachment").respond(200, json=listing)
        upload = mock.post(f"{url}/rest/api/content/42/child/attachment/att1/data").respond(200, json={})
        client = api(url, deployment)
        found = client.list_attachments("42")
        client.upload_attachment("42", "chart.png", b"png", found["chart.png"], "goldenthread [gt:fedcba9876543210]")
    assert (found["chart.png"].comment, found["other.png"].comment) == ("goldenthread [gt:0123456789abcdef]", "")
    assert b'name="comment"\r\n\r\ngoldenthread [gt:fedcba9876543210]' in upload.calls.last.request.content
