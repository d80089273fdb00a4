"""The OpenAPI document as YAML is rendered once per process: dumping it took 1.7 s of CPU,
and anyone may ask for it."""

from __future__ import annotations

from typing import Any

import httpx
import yaml


async def test_the_yaml_document_is_rendered_once_and_served_alike(database: None, monkeypatch: Any) -> None:
    from core.api.app import create_app

    dumps = []
    real_dump = yaml.dump

    def counting_dump(*args: Any, **kwargs: Any) -> Any:
        dumps.append(1)
        return real_dump(*args, **kwargs)

    monkeypatch.setattr(yaml, "dump", counting_dump)
    # An app of its own, so that no earlier test has rendered the document in it.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(run_jobs=False)), base_url="http://testserver") as client:
        answers = [await client.get(path) for path in ("/schema/openapi.yaml", "/schema/openapi.yml", "/schema/openapi.yaml")]
        as_json = (await client.get("/schema/openapi.json")).json()
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len({a.content for a in answers}) == 1
    assert len(dumps) == 1
    document = yaml.safe_load(answers[0].content)
    assert document["info"]["title"] == "Jiefen 解纷 API" and "/api/v1/cases" in document["paths"]
    assert document == as_json
