"""Management pages for API keys, the webhook delivery log and deadline-policy rules: county
and town administrators only, CSRF on every change, errors inline in the user's language."""

from __future__ import annotations

import re

import pytest

from core.auth.tables import ApiKey
from core.deadlines.tables import DeadlinePolicyRule
from core.integrations.tables import Integration, WebhookDelivery
from tests.factories import make_user
from tests.web.conftest import sign_in

pytestmark = pytest.mark.db

PAGES = ("/admin/manage/keys", "/admin/manage/webhooks", "/admin/manage/deadlines")


async def test_only_county_and_town_administrators(client, town):
    for user in (town.users["window"], await make_user(town.villages[0], ["admin"], "村管理员"), await make_user(town.labour_dept, ["admin"], "部门管理员")):
        web = await sign_in(client, user)
        for url in PAGES:
            assert (await web.get(url)).status_code == 403, (user["roles"], url)
    for org in (town.town, town.county):
        web = await sign_in(client, await make_user(org, ["admin"], "管理员"))
        for url in PAGES:
            resp = await web.get(url)
            assert resp.status_code == 200, (url, resp.text[:300])


async def test_api_key_created_shown_once_listed_and_revoked(client, town):
    admin = await sign_in(client, await make_user(town.town, ["admin"], "镇管理员"))
    page = await admin.get("/admin/manage/keys")
    assert "接口密钥" in page.text and "尚无接口密钥" in page.text

    form = [("name", "网格App"), ("organisation_id", str(town.villages[0]["id"])), ("scopes", "cases:create"),
            ("scopes", "cases:read"), ("roles", "grid_worker"), ("rate_limit_per_minute", "60")]
    refused = await admin.post("/admin/manage/keys", form, csrf=False)
    assert refused.status_code == 403
    assert not await ApiKey.exists().where(ApiKey.organisation == town.villages[0]["id"])  # the database is shared: scope to this town

    created = await admin.post("/admin/manage/keys", form)
    assert created.status_code == 200, created.text[:500]
    secret = re.search(r'<code class="big-code">(jf_[^<]+)</code>', created.text).group(1)
    row = await ApiKey.select().where((ApiKey.name == "网格App") & (ApiKey.organisation == town.villages[0]["id"])).output(load_json=True).first()
    assert row["organisation"] == town.villages[0]["id"] and row["scopes"] == ["cases:create", "cases:read"] and row["rate_limit_per_minute"] == 60
    assert secret.startswith("jf_") and secret not in (await admin.get("/admin/manage/keys")).text  # shown once

    # The key works, and the list shows when it was last used.
    used = await client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"})
    assert used.status_code == 200, used.text
    listing = await admin.get("/admin/manage/keys")
    assert "网格App" in listing.text and "cases:read" in listing.text and "从未使用" not in listing.text

    revoked = await admin.post(f"/admin/manage/keys/{row['id']}/revoke", {})
    assert revoked.status_code == 303
    assert (await client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"})).status_code == 401
    assert "已吊销" in (await admin.get("/admin/manage/keys")).text


async def test_api_key_form_errors_keep_the_values(client, town):
    admin = await sign_in(client, await make_user(town.town, ["admin"], "镇管理员"))
    await admin.get("/admin/manage/keys")
    missing = await admin.post("/admin/manage/keys", [("name", "热线"), ("organisation_id", str(town.town["id"]))])
    assert missing.status_code == 422 and "请至少选择一项权限" in missing.text and 'value="热线"' in missing.text
    outside = await admin.post("/admin/manage/keys", [("name", "越权"), ("organisation_id", str(town.county["id"])), ("scopes", "cases:read")])
    assert outside.status_code == 404
    english = await admin.post("/admin/manage/keys?lang=en", [("name", ""), ("organisation_id", str(town.town["id"])), ("scopes", "cases:read")],
                               headers={"Cookie": "; ".join(f"{k}={v}" for k, v in {**admin.cookies, "jiefen_locale": "en"}.items())})
    assert english.status_code == 422 and "Name is required." in english.text
    assert not await ApiKey.exists().where(ApiKey.organisation == town.town["id"])


async def test_delivery_log_filters_failed_and_retries(client, town):
    admin = await sign_in(client, await make_user(town.town, ["admin"], "镇管理员"))
    integration = (await Integration.insert(Integration(
        name="12345热线", organisation=town.town["id"], url="https://hotline.example/hook", secret_nonce="n", events=["*"], scope="subtree",
    )).returning(Integration.id))[0]["id"]
    failed, sent = (await WebhookDelivery.insert(
        WebhookDelivery(integration=integration, event_name="case.accept", body="{}", status="failed", attempts=8, last_status_code=500, last_error="boom-500"),
        WebhookDelivery(integration=integration, event_name="case.submit", body="{}", status="sent", attempts=1, last_status_code=200),
    ).returning(WebhookDelivery.id))
    all_rows = await admin.get("/admin/manage/webhooks")
    assert all_rows.status_code == 200 and "12345热线" in all_rows.text and "case.accept" in all_rows.text and "case.submit" in all_rows.text
    only_failed = await admin.get("/admin/manage/webhooks?status=failed")
    assert "case.accept" in only_failed.text and "boom-500" in only_failed.text and "case.submit" not in only_failed.text

    assert (await admin.post(f"/admin/manage/webhooks/deliveries/{failed['id']}/retry", {}, csrf=False)).status_code == 403
    retried = await admin.post(f"/admin/manage/webhooks/deliveries/{failed['id']}/retry?status=failed&integration=", {})
    assert retried.status_code == 303 and retried.headers["location"].startswith("/admin/manage/webhooks?status=failed")
    replay = await WebhookDelivery.select().where(WebhookDelivery.replay_of == failed["id"]).first()
    assert replay is not None and replay["status"] == "pending" and replay["requested_by"] == f"staff:{admin.user['id']}"
    pending = await admin.post(f"/admin/manage/webhooks/deliveries/{replay['id']}/retry", {})
    assert pending.status_code == 409 and "该推送仍在重试中" in pending.text

    other = await sign_in(client, await make_user((await _other_town())["town"], ["admin"], "外镇管理员"))
    assert "12345热线" not in (await other.get("/admin/manage/webhooks")).text
    assert (await other.post(f"/admin/manage/webhooks/deliveries/{sent['id']}/retry", {})).status_code == 404


async def _other_town() -> dict:
    from tests.factories import make_town

    t = await make_town()
    return {"town": t.town}


async def test_deadline_rule_saved_errors_inline_and_removed(client, town):
    admin = await sign_in(client, await make_user(town.town, ["admin"], "镇管理员"))
    page = await admin.get("/admin/manage/deadlines")
    assert "设置本地规则" in page.text
    form = {"organisation_id": str(town.town["id"]), "kind": "mediation", "dispute_type": "labour", "level": "", "duration": "20", "unit": "calendar_days", "enabled": "on"}

    assert (await admin.post("/admin/manage/deadlines", form, csrf=False)).status_code == 403
    bad = await admin.post("/admin/manage/deadlines", {**form, "duration": "0"})
    assert bad.status_code == 422
    assert re.search(r'<label class="invalid">[^<]*<span class="req">\*</span><input name="duration"[^>]*value="0"', bad.text)
    assert '<span class="field-error" id="rule_error">请输入 1 到 10000 之间的整数。</span>' in bad.text
    words = await admin.post("/admin/manage/deadlines", {**form, "duration": "二十"})
    assert words.status_code == 422 and "请填写整数" in words.text
    assert not await DeadlinePolicyRule.exists().where(DeadlinePolicyRule.organisation == town.town["id"])

    saved = await admin.post("/admin/manage/deadlines", form)
    assert saved.status_code == 303, re.findall(r'notice error[^>]*>([^<]+)', saved.text)
    rule = await DeadlinePolicyRule.select().where(DeadlinePolicyRule.organisation == town.town["id"]).first()
    assert (rule["kind"], rule["dispute_type"], rule["duration"], rule["unit"], rule["enabled"]) == ("mediation", "labour", 20, "calendar_days", True)
    # Saving the same scope again replaces the rule.
    assert (await admin.post("/admin/manage/deadlines", {**form, "duration": "25"})).status_code == 303
    rules = await DeadlinePolicyRule.select().where(DeadlinePolicyRule.organisation == town.town["id"])
    assert [r["duration"] for r in rules] == [25]
    assert "25" in (await admin.get("/admin/manage/deadlines")).text

    assert (await admin.post(f"/admin/manage/deadlines/{rules[0]['id']}/delete", {}, csrf=False)).status_code == 403
    assert (await admin.post(f"/admin/manage/deadlines/{rules[0]['id']}/delete", {})).status_code == 303
    assert not await DeadlinePolicyRule.exists().where(DeadlinePolicyRule.organisation == town.town["id"])
