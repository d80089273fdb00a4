"""Tables of the agreements area (Piccolo app ``agreements``).

The agreement's own rows (revisions, status, content hash) are ``core.cases.tables.Agreement``;
here is what hangs off them: the frozen text, the signatures, the committees' seals and the
documents issued.
"""

from piccolo.columns import JSON, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from core.auth.tables import StaffUser
from core.cases.tables import Agreement, Case, Party
from core.orgs.tables import Organisation


class AgreementSnapshot(Table, tablename="agreement_snapshot"):
    """What finalising froze: the content the SHA-256 covers and who must sign."""

    agreement = ForeignKey(Agreement, index=True)
    case = ForeignKey(Case, index=True)
    organisation = ForeignKey(Organisation)  # the committee whose seal it carries
    content = JSON(default={})
    # [{"key": "party:12" | "mediator:7" | "seal", "kind", "name", "role", "party_id" | "user_id" | "organisation_id"}]
    required = JSON(default=[])
    frozen_at = Timestamptz(default=TimestamptzNow())


class AgreementSignature(Table, tablename="agreement_signature"):
    """One captured signature (or the seal) on one final agreement; unique per signer."""

    agreement = ForeignKey(Agreement, index=True)
    case = ForeignKey(Case, index=True)
    signer_key = Varchar(length=40)
    signer_kind = Varchar(length=10)  # party | mediator | seal
    party = ForeignKey(Party, null=True, default=None)
    user = ForeignKey(StaffUser, null=True, default=None)
    name = Varchar(length=120, default="")
    method = Varchar(length=20)  # pad | kiosk | scanned_paper | fingerprint | seal
    content_type = Varchar(length=30, default="image/png")
    storage_key = Varchar(length=255)
    sha256 = Varchar(length=64)
    size = Integer(default=0)
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=255, default="")
    # The staff member who captured it; null when the party signed through a link.
    recorded_by = ForeignKey(StaffUser, null=True, default=None)
    signed_at = Timestamptz(default=TimestamptzNow())


class CommitteeSeal(Table, tablename="committee_seal"):
    """The seal image of a committee, set by its administrator (one row per committee)."""

    organisation = ForeignKey(Organisation, index=True)
    storage_key = Varchar(length=255)
    sha256 = Varchar(length=64)
    width = Integer(default=0)
    height = Integer(default=0)
    set_by = ForeignKey(StaffUser, null=True, default=None)
    set_at = Timestamptz(default=TimestamptzNow())


class DocumentRecord(Table, tablename="document_record"):
    """A signed document as issued: what the verification page checks a file against."""

    case = ForeignKey(Case, index=True)
    kind = Varchar(length=30)  # agreement | receipt | record | failure_notice | case_file
    source_id = Integer()  # the agreement, session, case or export it renders
    revision = Integer(default=1)
    organisation = ForeignKey(Organisation, null=True, default=None)
    sha256 = Varchar(length=64, index=True)
    size = Integer(default=0)
    verification_code = Varchar(length=16, unique=True)
    storage_key = Varchar(length=255)
    # The PDF/A-3b copy kept as the archive (empty for bundles).
    archive_key = Varchar(length=255, default="")
    archive_sha256 = Varchar(length=64, default="", index=True)
    signer_name = Varchar(length=200, default="")
    signed_at = Timestamptz(default=TimestamptzNow())


class CaseFileExport(Table, tablename="case_file_export"):
    """A requested case-file bundle (卷宗), built by a job; its status is polled."""

    case = ForeignKey(Case, index=True)
    status = Varchar(length=20, default="pending")  # pending | running | done | failed
    requested_by = ForeignKey(StaffUser, null=True, default=None)
    document_id = Integer(null=True, default=None)
    error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
