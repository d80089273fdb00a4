"""The handoff through the API: screening with reasons, a collective wage case handing many
applicants to the centre with the summary PDF, the centre seeing only what was handed to it,
accepting, assigning a lawyer, reporting a payment order and the outcome onto the timeline."""

from __future__ import annotations

import io
from typing import Any

import pytest

from core.notifications.tables import Notification
from tests.factories import make_user
from tests.plugins_legal_aid.conftest import (
    MIGRANT_WAGES,
    case_in_mediation,
    events,
    make_centre,
    party_id,
    png_bytes,
)

pytestmark = [pytest.mark.db, pytest.mark.plugin_legal_aid]

WORKERS = [
    {"name": "王五", "id_number": "441900199001011234", "phone": "13900000001", "claim_amount": "8000.00"},
    {"name": "赵六", "id_number": "441900199202021234", "phone": "13900000002", "claim_amount": "7600.50"},
    {"name": "孙七", "id_number": "441900199303031234", "phone": "13900000003", "claim_amount": "9100.00"},
]


async def test_screening_gives_a_clear_reason(town: Any, api: Any) -> None:
    await make_centre(town)
    case, mediator = await case_in_mediation(api, town, dispute_type="marriage_family")
    cid = case["id"]
    applicant = await party_id(cid)
    url = f"/api/v1/plugins/legal_aid/cases/{cid}/screenings"
    rich = await mediator.post(url, json={"applicants": [{"party_id": applicant}], "answers": {"matter": "support", "household_size": 3, "household_monthly_income": 15000}})
    assert rich.status_code == 201, rich.text
    [row] = rich.json()
    assert row["result"] == "not_eligible" and row["basis"] == "means_test"
    assert "家庭人均月收入 5000.00 元,高于本地法律援助经济困难标准 2000.00 元" in row["reason"]
    assert row["name"] == "张*"  # the case side sees names as the case page shows them
    out = await mediator.post(url, json={"applicants": [{"party_id": applicant}], "answers": {"matter": "other", "household_size": 1, "household_monthly_income": 1}})
    assert out.json()[-1]["result"] == "not_eligible" and "不属于法律援助范围" in out.json()[-1]["reason"]
    bad = await mediator.post(url, json={"applicants": [{"party_id": applicant}], "answers": {"matter": "support"}})
    assert bad.status_code == 400 and "家庭人口" in bad.json()["detail"]
    # The screening is on the timeline, by id only.
    last = (await events(cid))[-1]
    assert last["name"] == "legal_aid.screened" and set(last["payload"]) == {"screening_ids", "eligible", "not_eligible"}
    # Not eligible means no handoff.
    centres = (await mediator.get(f"/api/v1/plugins/legal_aid/cases/{cid}")).json()["centres"]
    refused = await mediator.post(f"/api/v1/plugins/legal_aid/cases/{cid}/handoffs", json={"centre_id": centres[0]["id"], "screening_ids": [row["id"]]})
    assert refused.status_code == 409 and "符合" in refused.json()["detail"]


@pytest.mark.pdf
async def test_collective_wage_case_to_outcome(town: Any, api: Any) -> None:
    centre = await make_centre(town)
    other_centre = await make_centre(town, name="第二法律援助中心")
    case, mediator = await case_in_mediation(
        api, town, title="制衣厂拖欠30名工人工资",
        parties=[
            {"name": "张三", "role": "applicant", "phone": "13800138000", "id_number": "44190019900101123X", "is_representative": True, "represented_count": 30},
            {"name": "某某制衣厂", "role": "respondent", "kind": "company", "phone": "076988888888"},
        ],
    )
    cid = case["id"]
    other_case, _ = await case_in_mediation(api, town)
    upload = await mediator.post(f"/api/v1/cases/{cid}/evidence", files={"file": ("工资条.png", png_bytes(), "image/png")}, data={"description": "2026年8月工资条"})
    assert upload.status_code == 201, upload.text

    # One screening for the representative and the workers he speaks for: migrant wages are exempt.
    screened = await mediator.post(
        f"/api/v1/plugins/legal_aid/cases/{cid}/screenings",
        json={"applicants": [{"party_id": await party_id(cid), "claim_amount": "9000"}, *WORKERS], "answers": MIGRANT_WAGES},
    )
    assert screened.status_code == 201, screened.text
    rows = screened.json()
    assert len(rows) == 4 and {r["result"] for r in rows} == {"eligible"} and {r["basis"] for r in rows} == {"exempt"}
    assert rows[1]["name"] == "王*" and rows[1]["id_number"].endswith("1234") and "0101" not in rows[1]["id_number"]

    view = (await mediator.get(f"/api/v1/plugins/legal_aid/cases/{cid}")).json()
    assert {c["id"] for c in view["centres"]} == {centre.org["id"], other_centre.org["id"]}
    made = await mediator.post(
        f"/api/v1/plugins/legal_aid/cases/{cid}/handoffs",
        json={"centre_id": centre.org["id"], "screening_ids": [r["id"] for r in rows], "note": "群体性讨薪,请尽快指派律师"},
    )
    assert made.status_code == 201, made.text
    handoff = made.json()
    assert handoff["status"] == "pending" and len(handoff["applicants"]) == 4 and handoff["paused_case"] is True
    assert (await mediator.get(f"/api/v1/cases/{cid}")).json()["state"] == "referred"
    timeline = await events(cid)
    assert [e["name"] for e in timeline[-2:]] == ["legal_aid.handed_off", "refer"]
    assert timeline[-2]["payload"] == {"handoff_id": handoff["id"], "applicants": 4, "paused": True}
    assert timeline[-1]["payload"]["plugin"] == "legal_aid" and timeline[-1]["actor_label"] == "plugin:legal_aid"
    # The town's dashboard counts it.
    lead = await api.login(town.users["supervisor"])
    widgets = (await lead.get("/api/v1/plugins/widgets", params={"organisation_id": town.town["id"]})).json()
    assert "待中心决定 1" in next(w for w in widgets if w["plugin"] == "legal_aid")["html"]
    # The same applicants cannot go to a second centre while this one has them.
    twice = await mediator.post(f"/api/v1/plugins/legal_aid/cases/{cid}/handoffs", json={"centre_id": other_centre.org["id"], "screening_ids": [rows[0]["id"]]})
    assert twice.status_code == 409

    # The package: a PDF with the parties, facts, evidence list and mediation history.
    pdf = await mediator.get(f"/api/v1/plugins/legal_aid/cases/{cid}/handoffs/{handoff['id']}/package.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).replace(" ", "")
    for expected in ("法律援助转交函", case["number"], "王五", "441900199001011234", "某某制衣厂", "制衣厂拖欠30名工人工资", "证据材料清单", "工资条.png", "2026年8月工资条", "调解经过", "接单"):
        assert expected in text, expected

    # The centre is told, and sees this handoff only.
    staff_user = centre.staff[0]
    told = await Notification.select(Notification.kind, Notification.body).where(Notification.recipient == staff_user["id"])
    assert [t["kind"] for t in told] == ["legal_aid_handoff"] and "4" in told[0]["body"]
    staff = await api.login(staff_user)
    listed = (await staff.get("/api/v1/plugins/legal_aid/centre/handoffs")).json()
    assert [(h["id"], h["case_number"]) for h in listed] == [(handoff["id"], case["number"])]
    detail = (await staff.get(f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}")).json()
    assert [a["name"] for a in detail["applicants"]] == ["张三", "王五", "赵六", "孙七"]
    assert detail["applicants"][1]["id_number"] == "441900199001011234"  # the centre needs them in full
    assert (await staff.get(f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}/package.pdf")).content == pdf.content
    # Nothing of any other case: not through the core, not through the plugin's case endpoints.
    for url in (f"/api/v1/cases/{other_case['id']}", f"/api/v1/cases/{cid}", f"/api/v1/plugins/legal_aid/cases/{cid}",
                f"/api/v1/plugins/legal_aid/cases/{other_case['id']}", f"/api/v1/plugins/legal_aid/cases/{cid}/handoffs/{handoff['id']}/package.pdf"):
        assert (await staff.get(url)).status_code == 404, url
    assert (await staff.get("/api/v1/cases")).json().get("items", []) == []
    # The other centre sees nothing of it; nor does a colleague without the role.
    stranger = await api.login(other_centre.staff[0])
    assert (await stranger.get("/api/v1/plugins/legal_aid/centre/handoffs")).json() == []
    assert (await stranger.get(f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}")).status_code == 404
    assert (await stranger.post(f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}/accept")).status_code == 404
    clerk = await api.login(await make_user(centre.org, ["window_staff"], "援助中心前台"))
    assert (await clerk.get("/api/v1/plugins/legal_aid/centre/handoffs")).status_code == 403
    assert (await clerk.get(f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}")).status_code == 404
    # The case side cannot act for the centre.
    assert (await mediator.post(f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}/accept")).status_code == 404

    # Accept, a lawyer, the route (支付令), the outcome: each on the case's timeline.
    base = f"/api/v1/plugins/legal_aid/centre/handoffs/{handoff['id']}"
    assert (await staff.post(f"{base}/route", json={"route": "payment_order"})).status_code == 409  # accept first
    assert (await staff.post(f"{base}/accept")).json()["status"] == "accepted"
    assert (await staff.post(f"{base}/accept")).status_code == 409
    assert (await staff.post(f"{base}/route", json={"route": "payment_order"})).status_code == 409  # a lawyer first
    lawyer = await staff.post(f"{base}/lawyer", json={"name": "陈律师", "phone": "13700001111", "firm": "清河律师事务所"})
    assert lawyer.json()["lawyer"]["name"] == "陈律师"
    assert (await staff.post(f"{base}/route", json={"route": "payment_order"})).json()["route"] == "payment_order"
    done = await staff.post(f"{base}/outcome", json={"outcome": "won", "amount": "254000.00", "note": "法院发出支付令,厂方已履行"})
    assert done.status_code == 200 and done.json()["status"] == "concluded"
    names = [e["name"] for e in await events(cid)]
    assert names[-4:] == ["legal_aid.accepted", "legal_aid.lawyer_assigned", "legal_aid.route", "legal_aid.outcome"]
    last = (await events(cid))[-1]
    assert last["payload"] == {"handoff_id": handoff["id"], "outcome": "won", "route": "payment_order", "amount": "254000.00"}
    assert last["actor_label"] == f"staff:{staff_user['id']}"
    # The case side hears of it and sees it on the panel.
    kinds = [n["kind"] for n in await Notification.select(Notification.kind).where((Notification.recipient == town.mediators[0]["user"]["id"]) & (Notification.case_id == cid))]
    assert "legal_aid_accepted" in kinds and "legal_aid_outcome" in kinds
    panel = (await mediator.get(f"/admin/plugins/legal_aid/cases/{cid}/panel")).text
    assert "陈律师" in panel and "支付令" in panel and "支持诉求" in panel
    # The case is the mediators' to close.
    await mediator.act(cid, "close")
