"""The administrators' own text (organisation names, dispute types, the roster) and the staff
intake form: shown escaped on every admin page, kept literally, and never a formula in a CSV or
XLSX export. Also the security headers of the pages."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from openpyxl import load_workbook

from core.roster.tables import DisputeType
from tests.factories import make_user
from tests.security import payloads as p

pytestmark = pytest.mark.db

FORMULAS = (p.FORMULA_HYPERLINK, p.FORMULA_PLUS, p.FORMULA_MINUS, p.FORMULA_AT)
FORMULA_START = ("=", "+", "-", "@")


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from core.ratelimit import reset_memory

    reset_memory()


async def _admin(town: Any, login: Any) -> Any:
    user = await make_user(town.town, ["admin", "supervisor", "window_staff"], "管理员")
    return await login(user)


async def test_organisation_and_type_names_are_text_on_pages_and_in_exports(town, login) -> None:
    admin = await _admin(town, login)
    codes = []
    try:
        # every payload as an organisation (a village, so it counts as a hot spot) and as a dispute type
        villages: dict[str, int] = {}
        for name, payload in p.VALID.items():
            resp = await admin.post("/admin/manage/orgs", data={
                "name": payload[:120], "type_code": "village", "parent_id": str(town.town["id"]), "address": payload,
            })
            assert resp.status_code == 303, (name, resp.status_code, resp.text[:300])
            code = f"x{uuid.uuid4().hex[:12]}"
            resp = await admin.post("/admin/manage/types", data={"code": code, "label_zh": payload[:60], "label_en": payload[:80]})
            assert resp.status_code == 303, (name, resp.status_code, resp.text[:300])
            codes.append(code)
            stored = await DisputeType.select(DisputeType.label_zh).where(DisputeType.code == code).first()
            assert stored["label_zh"] == payload[:60].strip(), name
        orgs_page = (await admin.get("/admin/manage/orgs")).text
        types_page = (await admin.get("/admin/manage/types")).text
        from core.orgs.tables import Organisation

        rows = await Organisation.select(Organisation.id, Organisation.name).where(Organisation.parent == town.town["id"])
        for name, payload in p.VALID.items():
            for page, where, cut in ((orgs_page, "orgs", 120), (types_page, "types", 60)):
                p.assert_escaped(page, payload, f"{name} {where}")
                assert p.shown(page, payload[:cut].strip()), f"{name}: not shown on {where}"
            villages[name] = next(r["id"] for r in rows if r["name"] == payload[:120].strip())

        # one case in each formula village, of a formula type: names reach the report and its files
        formula_names = {n for n, v in p.VALID.items() if v in FORMULAS} | {"script", "chinese"}
        for i, name in enumerate(sorted(formula_names)):
            code = codes[list(p.VALID).index(name)]
            body = {
                "channel": "walk_in", "dispute_type": code, "description": "x", "place_id": villages[name],
                "parties": [{"name": f"张{i}", "role": "applicant"}],
            }
            resp = await admin.post("/api/v1/cases", json=body)
            assert resp.status_code == 201, resp.text

        dashboard = await admin.get(f"/admin/dashboard?org={town.town['id']}")
        assert dashboard.status_code == 200
        from web.supervision import reports

        today = reports.today().isoformat()
        report = await admin.get(f"/admin/dashboard/reports/daily?org={town.town['id']}&date={today}")
        assert report.status_code == 200
        for name in formula_names:
            p.assert_escaped(dashboard.text, p.VALID[name], f"{name} dashboard")
            p.assert_escaped(report.text, p.VALID[name], f"{name} report")

        q = f"?org={town.town['id']}&date={today}"
        resp = await admin.get(f"/admin/dashboard/reports/daily/export/csv{q}")
        assert resp.status_code == 200
        rows_csv = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
        text_cells = [c for r in rows_csv for i, c in enumerate(r) if i in (0, 1, 5)]
        assert not [c for c in text_cells if c.startswith(FORMULA_START)], "a name starts a formula in the CSV"
        for formula in FORMULAS:
            assert any(c == "'" + formula for c in text_cells), f"{formula} missing from the CSV"

        resp = await admin.get(f"/admin/dashboard/reports/daily/export/xlsx{q}")
        assert resp.status_code == 200
        book = load_workbook(io.BytesIO(resp.content))
        cells = [c for ws in book for row in ws.iter_rows() for c in row if c.value is not None]
        assert not [c.coordinate for c in cells if c.data_type == "f"], "a cell of the XLSX is a formula"
        values = [c.value for c in cells if isinstance(c.value, str)]
        for formula in FORMULAS:
            assert "'" + formula in values, f"{formula} missing from the XLSX"
        assert not [v for v in values if v.startswith(("=", "@"))]
    finally:
        await DisputeType.update({DisputeType.active: False}).where(DisputeType.code.is_in(codes or ["-"]))


async def test_roster_and_staff_intake_form_keep_payloads_as_text(town, login) -> None:
    admin = await _admin(town, login)
    mediator_id = town.mediators[0]["id"]
    for name, payload in p.VALID.items():
        resp = await admin.post(f"/admin/manage/roster/{mediator_id}", data={
            "grade": "2", "max_open_cases": "10", "bio": payload, "expert_field": payload[:60], "phone": "",
        })
        assert resp.status_code in (200, 303), (name, resp.status_code, resp.text[:300])
        page = (await admin.get(f"/admin/manage/roster?edit={mediator_id}")).text
        p.assert_escaped(page, payload, f"{name} roster")
        assert p.shown(page, payload.strip()), f"{name}: bio not shown on the roster"

    desk = await login(town.users["window"])
    for name, payload in p.groups(3):
        form = {
            "channel": "walk_in", "dispute_type": "labour", "title": payload[:200], "description": payload,
            "party-0-name": payload[:120], "party-0-role": "applicant", "party-0-address": payload[:255],
            "party-1-name": payload[:120], "party-1-role": "respondent", "party-1-kind": "company",
            "rights_notified": "on", "consent": "on", "ack_duplicates": "on",
        }
        resp = await desk.post("/admin/intake/", data=form, files={"evidence": ("", b"", "application/octet-stream")})
        assert resp.status_code == 303, (name, resp.status_code, resp.text[:500])
        receipt = await desk.get(resp.headers["location"])
        p.assert_escaped(receipt.text, payload, f"{name} receipt")
        assert p.shown(receipt.text, payload.strip()), f"{name}: not on the receipt"
        cid = int(resp.headers["location"].split("/")[3])
        detail = (await desk.get(f"/api/v1/cases/{cid}")).json()
        assert detail["description"] == payload.strip() and detail["title"] == payload[:200].strip()
        # a form that fails comes back with the hostile text in its fields, escaped
        bad = {**form, "dispute_type": ""}
        resp = await desk.post("/admin/intake/", data=bad, files={"evidence": ("", b"", "application/octet-stream")})
        assert resp.status_code == 422
        p.assert_escaped(resp.text, payload, f"{name} intake form again")
        assert p.shown(resp.text, payload), f"{name}: the form lost the typed text"


SECURITY_PAGES = ("/admin/cases", "/admin/login", "/admin/manage/orgs", "/admin/dashboard", "/apply", "/verify")


async def test_pages_carry_security_headers(town, login, client) -> None:
    admin = await _admin(town, login)
    for url in SECURITY_PAGES:
        resp = await (admin.get(url) if url.startswith("/admin/") and url != "/admin/login" else client.get(url))
        assert resp.status_code == 200, (url, resp.status_code)
        csp = resp.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp, (url, csp)
        assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
        assert resp.headers.get("x-frame-options") == "DENY", url
        assert resp.headers.get("x-content-type-options") == "nosniff", url
        assert resp.headers.get("referrer-policy") in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"), url
        # no inline script or event handler that the policy would block
        assert "<script>" not in resp.text and " onclick=" not in resp.text and "javascript:" not in resp.text, url
    api = await admin.get("/api/v1/cases")
    assert api.headers.get("x-content-type-options") == "nosniff"
    # a CRLF in a redirect target is dropped, never written into a header
    resp = await client.get("/admin/login", params={"next": "/admin/\r\nSet-Cookie: evil=1"})
    assert resp.status_code == 200 and "evil" not in resp.headers.get("set-cookie", "")
    assert 'name="next" value="/admin/"' in resp.text
