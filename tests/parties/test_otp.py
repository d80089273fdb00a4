"""One-time codes: hashed at rest, expire, used once, throttled per phone and per address,
wrong codes counted, compared in constant time, sent through a channel or logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import RateLimited, ValidationFailed
from core.parties import otp
from core.parties.digests import phone_digest
from core.parties.errors import CodeRejected
from core.parties.settings import PartySettings
from core.parties.tables import OtpCode
from tests.parties.conftest import mobile, random_ip

pytestmark = pytest.mark.db


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch):
    def use(**values):
        monkeypatch.setattr(otp, "party_settings", lambda: PartySettings(**values))

    return use


async def test_code_is_stored_as_a_digest_and_works_once(codes):
    phone, ip = mobile(), random_ip()
    await otp.issue(phone, "apply", ip=ip)
    code = codes.last(phone)
    assert len(code) == 6 and code.isdigit()
    row = await OtpCode.select().where(OtpCode.phone_digest == phone_digest(phone)).first()
    assert code not in row["code_digest"] and phone not in str(row)
    assert row["expires_at"] - row["created_at"] == timedelta(minutes=10)
    await otp.verify(phone, "apply", code, ip=ip)
    with pytest.raises(CodeRejected):
        await otp.verify(phone, "apply", code, ip=ip)


async def test_expired_code_is_refused(codes):
    phone = mobile()
    await otp.issue(phone, "apply", ip=random_ip())
    await OtpCode.update({OtpCode.expires_at: datetime.now(UTC) - timedelta(seconds=1)}).where(
        OtpCode.phone_digest == phone_digest(phone)
    )
    with pytest.raises(CodeRejected):
        await otp.verify(phone, "apply", codes.last(phone))


async def test_code_is_bound_to_purpose_and_subject(codes):
    phone = mobile()
    await otp.issue(phone, "track", subject="link:1", ip=random_ip())
    code = codes.last(phone)
    with pytest.raises(CodeRejected):
        await otp.verify(phone, "apply", code)
    with pytest.raises(CodeRejected):
        await otp.verify(phone, "track", code, subject="link:2")
    await otp.verify(phone, "track", code, subject="link:1")


async def test_wrong_codes_kill_the_code(codes, settings):
    settings(otp_max_attempts=3)
    phone = mobile()
    await otp.issue(phone, "apply", ip=random_ip())
    right = codes.last(phone)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for attempt in range(3):
        with pytest.raises(CodeRejected):
            await otp.verify(phone, "apply", wrong if attempt else "abc")
    with pytest.raises(CodeRejected):
        await otp.verify(phone, "apply", right)  # dead after three wrong tries
    row = await OtpCode.select().where(OtpCode.phone_digest == phone_digest(phone)).first()
    assert row["failed_attempts"] == 3 and row["used_for"] == "too_many_attempts"


async def test_a_new_code_replaces_the_old(codes, settings):
    settings(otp_resend_seconds=0)
    phone, ip = mobile(), random_ip()
    await otp.issue(phone, "apply", ip=ip)
    first = codes.last(phone)
    await otp.issue(phone, "apply", ip=ip)
    second = codes.last(phone)
    if first != second:
        with pytest.raises(CodeRejected):
            await otp.verify(phone, "apply", first)
    await otp.verify(phone, "apply", second)


async def test_resend_waits_a_minute(codes, pc):
    phone = mobile()
    assert (await pc.post("/api/v1/party/codes", json={"phone": phone})).status_code == 202
    again = await pc.post("/api/v1/party/codes", json={"phone": phone})
    assert again.status_code == 429
    assert "秒后再获取验证码" in again.json()["detail"]
    assert again.headers["retry-after"] == "60"
    assert len(codes.sent) == 1


async def test_throttled_per_phone_per_hour(codes, settings):
    settings(otp_resend_seconds=0, otp_per_phone_per_hour=3)
    phone = mobile()
    for _ in range(3):
        await otp.issue(phone, "apply", ip=random_ip())
    with pytest.raises(RateLimited):
        await otp.issue(phone, "apply", ip=random_ip())
    assert len(codes.sent) == 3


async def test_throttled_per_address_per_hour(codes, settings):
    settings(otp_per_ip_per_hour=2)
    ip = random_ip()
    await otp.issue(mobile(), "apply", ip=ip)
    await otp.issue(mobile(), "apply", ip=ip)
    with pytest.raises(RateLimited):
        await otp.issue(mobile(), "apply", ip=ip)
    await otp.issue(mobile(), "apply", ip=random_ip())  # another address is not held up


async def test_many_wrong_codes_lock_the_phone(codes, settings):
    settings(otp_resend_seconds=0, otp_failures_per_phone_per_hour=4, otp_max_attempts=2)
    phone = mobile()
    for _ in range(2):
        await otp.issue(phone, "apply", ip=random_ip())
        for _ in range(2):
            with pytest.raises(CodeRejected):
                await otp.verify(phone, "apply", "000000" if codes.last(phone) != "000000" else "111111")
    await otp.issue(phone, "apply", ip=random_ip())
    with pytest.raises(RateLimited):
        await otp.verify(phone, "apply", codes.last(phone))


async def test_compared_in_constant_time(codes, monkeypatch):
    import hmac

    real = hmac.compare_digest
    calls = []

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(otp.hmac, "compare_digest", spy)
    phone = mobile()
    await otp.issue(phone, "apply", ip=random_ip())
    await otp.verify(phone, "apply", codes.last(phone))
    assert calls and all(len(a) == len(b) == 64 for a, b in calls)


async def test_only_mobile_numbers(codes, pc):
    resp = await pc.post("/api/v1/party/codes", json={"phone": "0769-8888888"})
    assert resp.status_code == 422
    with pytest.raises(ValidationFailed):
        await otp.issue("12345", "apply")


async def test_without_sms_the_code_goes_to_the_log(caplog, monkeypatch):
    from core.parties import sender

    monkeypatch.setattr(sender, "_phone_channels", lambda: [])
    caplog.set_level(logging.WARNING, logger="jiefen.parties.otp")
    phone = mobile()
    await otp.issue(phone, "apply", ip=random_ip())
    logged = [r.getMessage() for r in caplog.records if r.name == "jiefen.parties.otp"]
    assert logged and phone[-4:] in logged[-1] and phone not in logged[-1]  # the phone is masked


async def test_sent_through_a_party_phone_channel(monkeypatch):
    from core.parties import sender

    class Sms:
        name = "sms"
        audiences = {"party"}
        address = "phone"
        messages: list = []

        async def send(self, message):
            self.messages.append(message)
            return "sms-1"

    channel = Sms()
    monkeypatch.setattr(sender, "_phone_channels", lambda: [channel])
    phone = mobile()
    await otp.issue(phone, "apply", ip=random_ip())
    message = channel.messages[-1]
    assert message.address == phone and message.kind == "otp"
    code = message.body.split("验证码是 ")[1][:6]
    await otp.verify(phone, "apply", code)
