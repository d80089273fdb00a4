"""Context schemas of the document templates.

Every template takes a plain dict. Keys marked ``NotRequired`` may be left out; text values are
autoescaped, so user input is always shown as literal text. Dates may be ``date``/``datetime``
or ISO strings (rendered 2024年5月6日) or free text ("2024年6月30日前", passed through).
Images (signatures, seal) must be ``data:image/png;base64,...`` URIs or ``jiefen-asset:NAME``;
anything else is refused by the URL fetcher and renders as blank.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal, NotRequired, TypedDict

from markupsafe import Markup

DateLike = date | datetime | str


class Committee(TypedDict):
    name: str  # 某某市某某区某某街道人民调解委员会
    address: NotRequired[str]
    phone: NotRequired[str]
    seal_image: NotRequired[str]  # data URI of the committee seal (red, transparent PNG)


class Verification(TypedDict):
    code: str  # short code printed on every page, e.g. "7KQ4-93XD"
    url: str  # public verification address; encoded in the QR code


class Agent(TypedDict):
    name: str
    relation: NotRequired[str]  # 委托代理人 / 法定代理人 / 近亲属 ...
    phone: NotRequired[str]


class Party(TypedDict):
    name: str
    role: Literal["申请人", "被申请人", "第三人"] | str
    kind: NotRequired[Literal["person", "organization"]]  # default person
    gender: NotRequired[str]  # 男 / 女
    age: NotRequired[int]
    birth_date: NotRequired[DateLike]
    ethnicity: NotRequired[str]  # 民族
    id_type: NotRequired[str]  # default 居民身份证
    id_number: NotRequired[str]  # ID number, or 统一社会信用代码 for organizations
    legal_representative: NotRequired[str]  # organizations only
    address: NotRequired[str]
    phone: NotRequired[str]
    agent: NotRequired[Agent]
    signature_image: NotRequired[str]  # data URI; blank line when absent


class Person(TypedDict):
    name: str
    signature_image: NotRequired[str]


class ExtraSection(TypedDict):
    title: str
    html: Markup  # trusted plugin output; a plain str is escaped and shown as text


class Common(TypedDict):
    committee: Committee
    case_no: str  # （2024）某调字第12号
    verification: NotRequired[Verification]
    issued_on: NotRequired[DateLike]  # date printed above the seal; default today
    extra_sections: NotRequired[list[ExtraSection]]  # rendered before the signature block


class Term(TypedDict):
    obligor: str  # 义务人
    obligee: str  # 权利人
    action: str  # 支付拖欠工资
    amount: NotRequired[Decimal | int | str]  # yuan; printed with its 大写 form
    detail: NotRequired[str]  # anything else about what is owed
    how: NotRequired[str]  # 履行方式: 银行转账 / 现金 ...
    where: NotRequired[str]  # 履行地点
    by_when: NotRequired[DateLike]  # 履行期限


class AgreementContext(Common):
    """agreement.html — 人民调解协议书 (People's Mediation Law art. 28–33)."""

    parties: list[Party]
    facts: str  # 纠纷主要事实
    matters: str | list[str]  # 争议事项
    responsibilities: str  # 各方责任
    terms: list[Term]  # 达成协议内容 (structured)
    other_terms: NotRequired[list[str]]  # further agreed items in prose
    performance_notes: NotRequired[str]  # extra text under 履行方式、地点、期限
    mediators: list[Person]  # 人民调解员 (signing)
    signed_on: NotRequired[DateLike]  # falls back to issued_on


class Material(TypedDict):
    name: str
    copies: NotRequired[int]


class ReceiptContext(Common):
    """receipt.html — 受理回执."""

    applicants: list[Party]
    respondents: list[Party]
    dispute_type: str  # 劳动报酬纠纷
    summary: NotRequired[str]
    applied_on: DateLike
    accepted_on: DateLike
    mediator: NotRequired[Person]
    contact_phone: NotRequired[str]
    materials: NotRequired[list[Material]]
    notes: NotRequired[str]


class Attendee(TypedDict):
    name: str
    role: str  # 申请人 / 被申请人 / 委托代理人 / 证人 ...
    signature_image: NotRequired[str]


class RecordEntry(TypedDict):
    speaker: str  # 调解员 / 申请人张三 ...
    text: str


class RecordContext(Common):
    """record.html — 调解笔录."""

    started_at: DateLike
    ended_at: NotRequired[DateLike]
    place: str
    mode: str  # 现场调解 / 视频调解 / 电话调解
    mediators: list[Person]
    recorder: NotRequired[Person]
    attendees: list[Attendee]
    subject: NotRequired[str]  # 案由
    entries: NotRequired[list[RecordEntry]]  # speaker/text turns ...
    text: NotRequired[str]  # ... or free text (paragraphs split on blank lines/newlines)


class Advice(TypedDict):
    route: Literal["arbitration", "litigation", "administrative"] | str
    body: NotRequired[str]  # 某某区劳动人事争议仲裁委员会; default: generic wording
    note: NotRequired[str]  # deadlines, address, anything else


class FailureNoticeContext(Common):
    """failure_notice.html — 告知书 (调解不成, art. 26)."""

    addressees: list[Party]  # the parties the notice is sent to
    other_parties: NotRequired[list[Party]]
    dispute_type: str
    accepted_on: DateLike
    ended_on: DateLike
    reason: str  # why mediation failed
    advice: list[Advice]


CONTEXTS: dict[str, type] = {
    "agreement": AgreementContext,
    "receipt": ReceiptContext,
    "record": RecordContext,
    "failure_notice": FailureNoticeContext,
}
