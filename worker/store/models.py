"""The service's tables. One row per thing a reviewer or an operator asks about.

Documents are content-addressed: the same bytes uploaded twice are one document (one `sha256`)
with two `UploadItem`s naming it. Pages, forms and findings are written by idempotent steps
keyed by (document, page number), (document, form index) and (run, finding key), so a task that
runs twice after a worker died leaves one row, not two. Extraction and audit output is stored as
the JSON of FORMS.md / AUDIT_RULES.md, which is the contract other programs read.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


FINAL = ("done", "failed")  # a document's or a page's states that no step changes again


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# Named constraints: Alembic can only alter (and SQLite's batch mode only copy) constraints it can name.
NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
          "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: DateTime(timezone=True)}


class Upload(Base):
    """One HTTP upload, inbox file or command-line input: what arrived, when, from whom."""

    __tablename__ = "uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(1024))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    origin: Mapped[str] = mapped_column(String(16), default="api")  # api | inbox | cli
    api_key: Mapped[Optional[str]] = mapped_column(String(64))  # the key's name, never the key
    items: Mapped[list["UploadItem"]] = relationship(back_populates="upload", cascade="all, delete-orphan")


class UploadItem(Base):
    """One file of an upload (the file itself, or an archive member): its document, or why it was refused."""

    __tablename__ = "upload_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(2048))  # "batch.zip!dept/a.pdf" for a member
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id"), index=True)
    error_code: Mapped[Optional[str]] = mapped_column(String(64))
    error_message: Mapped[Optional[str]] = mapped_column(Text)
    upload: Mapped[Upload] = relationship(back_populates="items")


class Document(Base):
    """One distinct file (by content). `status`: queued → processing → done | failed."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(2048))
    suffix: Mapped[str] = mapped_column(String(16))  # how the blob is named and routed (".pdf")
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[Optional[str]] = mapped_column(String(32))  # FORMS.md input_kind, once known
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    errors: Mapped[list[Any]] = mapped_column(default=list)  # FORMS.md error items (code, message, page)
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    pages_total: Mapped[Optional[int]] = mapped_column(Integer)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    # FORMS.md `tables` without their cells (page, bbox, size), set on assembly: what the audit reads
    # of a document's tables, without loading every page's grids.
    tables: Mapped[Optional[list[Any]]] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    pages: Mapped[list["PageRow"]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                  order_by="PageRow.number")
    forms: Mapped[list["FormRow"]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                  order_by="FormRow.index")


class PageRow(Base):
    """One page of a document and what reading it gave (grids, lines, errors), so assembling a
    document needs no page read twice. `status`: pending → done | failed."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1-based
    needs_scan: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    result: Mapped[Optional[dict[str, Any]]] = mapped_column()  # {"grids": [...], "lines": [...], "errors": [...]}
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[Optional[float]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    document: Mapped[Document] = relationship(back_populates="pages")


class FormRow(Base):
    """One form of a document: FORMS.md JSON (`data`, corrections applied) and where it came from."""

    __tablename__ = "forms"
    __table_args__ = (UniqueConstraint("document_id", "index"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)  # position in the document's `forms`
    kind: Mapped[str] = mapped_column(String(32))
    department: Mapped[Optional[str]] = mapped_column(String(512), index=True)
    project: Mapped[Optional[str]] = mapped_column(String(1024))
    data: Mapped[dict[str, Any]] = mapped_column()
    provenance: Mapped[dict[str, Any]] = mapped_column(default=dict)  # source name, sha256, pages, extractor
    document: Mapped[Document] = relationship(back_populates="forms")


class Correction(Base):
    """A reviewer's change of one extracted value; the old value stays here for good."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(256))  # FORMS.md path, "funds.rows.total.executed"
    old_value: Mapped[Any] = mapped_column(JSON)
    new_value: Mapped[Any] = mapped_column(JSON)
    who: Mapped[str] = mapped_column(String(128))
    why: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One audit of one batch. A nightly run is unique per `day`, so running it twice adds nothing."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # upload | nightly | cli
    day: Mapped[Optional[date]] = mapped_column(Date, unique=True)  # nightly runs only
    # upload runs only: one run per upload, so an audit task delivered twice makes one run
    upload_id: Mapped[Optional[int]] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | running | done | failed
    document_ids: Mapped[list[Any]] = mapped_column(default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column()
    totals: Mapped[dict[str, Any]] = mapped_column(default=dict)  # counts by severity / rule / department
    messages: Mapped[list[Any]] = mapped_column(default=list)
    report_dir: Mapped[Optional[str]] = mapped_column(String(1024))  # findings.json, report.html, report.xlsx


class FindingRow(Base):
    """One finding of a run: the AUDIT_RULES JSON in `data`, plus where the reviewer has got with it.

    `key` names the finding independently of the run's numbering (rule, form, field, indicator),
    so a re-audit after a correction keeps the review status of findings that are still there."""

    __tablename__ = "findings"
    __table_args__ = (UniqueConstraint("run_id", "key"), Index("ix_findings_filter", "run_id", "severity", "rule"))
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    form_id: Mapped[Optional[int]] = mapped_column(ForeignKey("forms.id", ondelete="SET NULL"), index=True)
    document_id: Mapped[Optional[int]] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    rule: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    department: Mapped[Optional[str]] = mapped_column(String(512), index=True)
    data: Mapped[dict[str, Any]] = mapped_column()
    suppressed: Mapped[Optional[str]] = mapped_column(Text)  # the suppression's reason, when suppressed
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | confirmed | dismissed | corrected
    decisions: Mapped[list["Decision"]] = relationship(back_populates="finding", order_by="Decision.at")


class Decision(Base):
    """A reviewer's action on a finding, with who, when and why; the finding's status is the last one."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[Optional[int]] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"), index=True)
    finding_key: Mapped[str] = mapped_column(String(64), index=True)  # survives the finding's re-audit
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))  # confirm | dismiss | correct | reopen
    who: Mapped[str] = mapped_column(String(128))
    why: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    finding: Mapped[Optional[FindingRow]] = relationship(back_populates="decisions")
