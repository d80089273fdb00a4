"""Fictional sample contexts for every template: tests, the benchmark and template previews."""

from __future__ import annotations

import base64
import io
import math
import random
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .fetch import asset_url

COMMITTEE = {
    "name": "江城市临江区滨河街道人民调解委员会",
    "address": "江城市临江区滨河路88号街道综治中心二楼",
    "phone": "0571-8888 6600",
    "seal_image": asset_url("specimen-seal.svg"),
}
CASE_NO = "（2024）临滨调字第0127号"
VERIFICATION = {"code": "7KQ4-93XD", "url": "https://jiefen.example.cn/v/7KQ4-93XD"}


def signature_png(seed: str, width: int = 360, height: int = 120) -> str:
    """A scribble that looks like a handwritten signature, as a PNG data URI."""
    from PIL import Image, ImageDraw  # WeasyPrint depends on Pillow

    rnd = random.Random(seed)
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    x, points = 20.0, []
    while x < width - 30:
        amp = rnd.uniform(18, 40)
        for t in range(12):
            ang = t / 12 * 2 * math.pi
            points.append((x + t * 3.2, height / 2 + amp * math.sin(ang + rnd.uniform(-0.4, 0.4))))
        x += rnd.uniform(34, 60)
    draw.line(points, fill=(20, 24, 60, 255), width=4, joint="curve")
    draw.line([(24, height - 24), (width - 40, height - 30)], fill=(20, 24, 60, 255), width=3)
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _common() -> dict[str, Any]:
    return {
        "committee": dict(COMMITTEE),
        "case_no": CASE_NO,
        "verification": dict(VERIFICATION),
        "issued_on": date(2024, 5, 20),
    }


def _parties(signatures: bool) -> list[dict[str, Any]]:
    parties: list[dict[str, Any]] = [
        {
            "name": "张建国",
            "role": "申请人",
            "gender": "男",
            "birth_date": date(1983, 4, 12),
            "ethnicity": "汉族",
            "id_number": "330102198304120031",
            "address": "江城市临江区滨河街道新民村三组12号",
            "phone": "138 0571 2233",
        },
        {
            "name": "江城恒达建筑劳务有限公司",
            "role": "被申请人",
            "kind": "organization",
            "id_number": "91330100MA2H4K7X1Q",
            "address": "江城市临江区望江路126号",
            "legal_representative": "李志强",
            "phone": "0571-8765 4321",
            "agent": {"name": "王海燕", "relation": "委托代理人", "phone": "139 0000 1111"},
        },
        {
            "name": "陈美华",
            "role": "第三人",
            "gender": "女",
            "age": 46,
            "id_number": "330102197802150026",
            "address": "江城市临江区滨河街道春晖苑5幢302室",
            "phone": "137 1234 5678",
        },
    ]
    if signatures:
        for p in parties:
            p["signature_image"] = signature_png(p["name"])
    return parties


def agreement(signatures: bool = True) -> dict[str, Any]:
    return {
        **_common(),
        "parties": _parties(signatures),
        "facts": (
            "申请人张建国自2023年3月起在被申请人承建的滨河花园二期工地从事钢筋工工作，约定日工资人民币350元。"
            "工程于2023年12月完工后，被申请人尚欠申请人2023年9月至12月的工资未支付。"
            "第三人陈美华系该工地班组长，负责记录考勤并代为发放工资。\n"
            "申请人多次催讨未果，于2024年5月6日向本委员会申请调解。"
        ),
        "matters": ["被申请人应否支付拖欠的工资及具体数额；", "第三人在工资发放中的责任。"],
        "responsibilities": (
            "被申请人作为用工单位，未按时足额支付劳动报酬，应当承担主要责任；"
            "第三人未及时向被申请人报送考勤记录，对工资迟延发放负有一定责任；申请人无过错。"
        ),
        "terms": [
            {
                "obligor": "被申请人江城恒达建筑劳务有限公司",
                "obligee": "申请人张建国",
                "action": "支付拖欠的2023年9月至12月工资",
                "amount": Decimal("38650.00"),
                "how": "银行转账",
                "where": "申请人指定的中国农业银行账户",
                "by_when": date(2024, 6, 30),
            },
            {
                "obligor": "第三人陈美华",
                "obligee": "被申请人江城恒达建筑劳务有限公司",
                "action": "提交申请人2023年9月至12月的考勤原始记录",
                "how": "当面交付",
                "where": "本委员会调解室",
                "by_when": "2024-05-25",
                "detail": "并由双方签字确认",
            },
            {
                "obligor": "被申请人江城恒达建筑劳务有限公司",
                "obligee": "申请人张建国",
                "action": "支付因迟延支付工资产生的交通、误工补偿",
                "amount": "1205.5",
                "how": "现金",
                "where": "本委员会调解室",
                "by_when": "签订本协议当日",
            },
        ],
        "other_terms": [
            "申请人收到上述款项后，双方就本纠纷再无其他争议。",
            "被申请人逾期未履行第（一）项义务的，应当按未付金额每日万分之五向申请人支付违约金。",
        ],
        "performance_notes": "款项以银行到账或申请人签收为准。",
        "mediators": [
            {"name": "刘秀英", "signature_image": signature_png("刘秀英") if signatures else ""}
        ],
        "signed_on": date(2024, 5, 20),
    }


def receipt() -> dict[str, Any]:
    parties = _parties(False)
    return {
        **_common(),
        "applicants": [parties[0]],
        "respondents": [parties[1]],
        "dispute_type": "劳动报酬纠纷",
        "summary": "申请人称被申请人拖欠其2023年9月至12月工资共计人民币38,650元，请求调解。",
        "applied_on": date(2024, 5, 6),
        "accepted_on": date(2024, 5, 7),
        "mediator": {"name": "刘秀英"},
        "materials": [
            {"name": "调解申请书", "copies": 1},
            {"name": "申请人身份证复印件", "copies": 1},
            {"name": "工资欠条及考勤记录复印件", "copies": 3},
        ],
        "notes": "如需补充材料，请于收到本回执之日起五个工作日内提交。",
        "issued_on": date(2024, 5, 7),
    }


def record() -> dict[str, Any]:
    return {
        **_common(),
        "started_at": datetime(2024, 5, 20, 9, 30),
        "ended_at": datetime(2024, 5, 20, 11, 45),
        "place": "滨河街道人民调解委员会第一调解室",
        "mode": "现场调解",
        "subject": "劳动报酬纠纷",
        "mediators": [{"name": "刘秀英", "signature_image": signature_png("刘秀英")}],
        "recorder": {"name": "赵磊"},
        "attendees": [
            {"name": "张建国", "role": "申请人", "signature_image": signature_png("张建国")},
            {"name": "王海燕", "role": "被申请人委托代理人"},
            {"name": "陈美华", "role": "第三人"},
        ],
        "entries": [
            {
                "speaker": "调解员",
                "text": "今天依法对张建国与江城恒达建筑劳务有限公司劳动报酬纠纷进行调解。各方是否申请调解员回避？",
            },
            {
                "speaker": "申请人张建国",
                "text": "不申请回避。公司欠我四个月的工资，一共三万八千六百五十元。",
            },
            {
                "speaker": "被申请人委托代理人王海燕",
                "text": "不申请回避。公司认可欠款数额，但希望分期支付。",
            },
            {"speaker": "第三人陈美华", "text": "考勤记录在我这里，可以交给公司核对。"},
        ],
        "text": "经调解员释法明理，各方同意被申请人于2024年6月30日前一次性支付全部欠薪。",
    }


def failure_notice() -> dict[str, Any]:
    parties = _parties(False)
    return {
        **_common(),
        "addressees": [parties[0]],
        "other_parties": [parties[1]],
        "dispute_type": "劳动报酬纠纷",
        "accepted_on": date(2024, 5, 7),
        "ended_on": date(2024, 6, 3),
        "reason": "双方对欠薪数额分歧较大，被申请人明确表示不同意继续调解",
        "advice": [
            {
                "route": "arbitration",
                "body": "江城市临江区劳动人事争议仲裁委员会",
                "note": "劳动争议申请仲裁的时效期间为一年，从当事人知道或者应当知道其权利被侵害之日起计算。",
            },
            {"route": "litigation", "note": "对仲裁裁决不服的，可以依法向人民法院提起诉讼。"},
            {"route": "administrative", "body": "江城市临江区人力资源和社会保障局劳动保障监察大队"},
        ],
        "issued_on": date(2024, 6, 3),
    }


SAMPLES = {
    "agreement": agreement,
    "receipt": receipt,
    "record": record,
    "failure_notice": failure_notice,
}
