"""The text guard parses a JSON body once: the handler's typed body comes from the same decoded
value, and the refusal is unchanged (422 naming the field, in the caller's language)."""

from __future__ import annotations

from typing import Any

import litestar.connection.request as litestar_request
import msgspec
import pytest

from core.cases.tables import Case
from tests.factories import application

pytestmark = pytest.mark.db


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every JSON body parsed, in order: through the request (Litestar's decoder) or directly
    with msgspec (as the guard once did, before the handler parsed the same bytes again)."""
    seen: list[bytes] = []

    def counted(real: Any) -> Any:
        def counting(value: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(bytes(value))
            return real(value, *args, **kwargs)

        return counting

    monkeypatch.setattr(litestar_request, "decode_json", counted(litestar_request.decode_json))
    monkeypatch.setattr(msgspec.json, "decode", counted(msgspec.json.decode))
    return seen


async def test_a_json_body_is_parsed_once(town, login, parses) -> None:
    desk = await login(town.users["window"])
    body = application(town, title="一次解析")
    parses.clear()
    resp = await desk.post("/api/v1/cases", json=body)
    assert resp.status_code == 201, resp.text
    assert len([b for b in parses if "一次解析".encode() in b]) == 1, parses
    assert (await Case.select(Case.title).where(Case.id == resp.json()["id"]).first())["title"] == "一次解析"


@pytest.mark.parametrize(("language", "words"), [("zh-CN", "不能包含控制字符"), ("en", "control characters")])
async def test_the_refusal_names_the_field(town, login, parses, language: str, words: str) -> None:
    desk = await login(town.users["window"])
    parties = [{"name": "张\x00三", "role": "applicant"}]
    parses.clear()
    resp = await desk.post("/api/v1/cases", json=application(town, parties=parties), headers={"Accept-Language": language})
    assert resp.status_code == 422 and words in resp.text, resp.text
    assert resp.json()["errors"][0]["field"] == "$.parties[0].name"
    assert len(parses) == 1


async def test_a_body_that_is_not_json_gets_the_handlers_answer(town, login) -> None:
    desk = await login(town.users["window"])
    resp = await desk.client.post("/api/v1/cases", content=b"{not json", headers={**desk.headers, "content-type": "application/json"})
    assert resp.status_code == 400 and resp.headers["content-type"].startswith("application/problem+json"), resp.text
