"""The current (v8) tables, for queries (SPEC §12): identifiers, addresses, decoded subjects,
times, sync markers, the draft ledger, marks, response episodes, account health, digests,
the incident facts read from texts, requests and invitations, the alert outbox, and the
account leases and cycle records that let several processes share one store. Never bodies.

Migrations never import these: each of their steps carries its own frozen copy of what it
creates, so changing a table here changes no old step. ``tests/store`` checks that the
steps end at exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.types import TypeDecorator

from inboxguard.domain.alert_events import AlertKind, Urgency
from inboxguard.domain.drafts import DraftPurpose, DraftStatus
from inboxguard.domain.marks import MarkAction


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the state store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return value.replace(tzinfo=UTC)


E = TypeVar("E", bound=StrEnum)


class StrEnumString(TypeDecorator[E]):
    """A domain StrEnum stored as its value in a plain VARCHAR.

    Not ``sqlalchemy.Enum``: no CHECK constraint or native type to migrate when a value is
    added, and the stored strings stay exactly those older versions wrote.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum
        self.length = length

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        # A plain string is accepted (and checked): callers may hold the stored word.
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(200), nullable=False),
    Column("folder", String(500), nullable=False),
    Column("uid", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("message_id", String(998), nullable=False),
    Column("thread_id", String(32)),
    Column("subject", Text, nullable=False),
    Column("sender_name", Text, nullable=False),
    Column("sender_address", String(320), nullable=False),
    Column("to_json", Text, nullable=False),
    Column("cc_json", Text, nullable=False),
    Column("in_reply_to_json", Text, nullable=False),
    Column("references_json", Text, nullable=False),
    Column("date", UtcDateTime, nullable=False),
    Column("provider_thread_id", String(200)),
    Column("automated_reason", Text),
    Column("ack_only", Boolean, nullable=False),
    Column("promise_phrase", Text),
    Column("promise_date", Date),
    Column("promise_due_at", UtcDateTime),
    Column("keywords_json", Text, nullable=False),
    Column("seen_at", UtcDateTime, nullable=False),
    # v3: whether ack_only/promise were decided from the text (rows of v2 stores were).
    Column("text_read", Boolean, nullable=False, server_default=true()),
    # v4: the incident facts of the text (NULL score: not read for incidents yet).
    Column("incident_score", Float),
    Column("incident_keywords_json", Text),
    Column("report_stages", String(64)),
    # v8: what my message asks for (phrase NULL: nothing, or not read), and its calendar
    # part as JSON (codec.encode_invitation).
    Column("request_phrase", Text),
    Column("request_what", Text),
    Column("request_date", Date),
    Column("request_due_at", UtcDateTime),
    Column("invitation_json", Text),
    UniqueConstraint("account", "folder", "uid", name="uq_messages_location"),
)
Index("ix_messages_account_message_id", messages.c.account, messages.c.message_id)
Index("ix_messages_thread", messages.c.thread_id)

folders = Table(
    "folders",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("folder", String(500), primary_key=True),
    # The backend's encoded sync marker, kept as the text it gave (opaque to the store).
    Column("marker_json", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# The draft ledger. v6: a row is claimed before its draft is appended and settled after;
# the unique key is the draft's identity, so two processes cannot both claim it.
drafts = Table(
    "drafts",
    metadata,
    Column("message_id", String(998), primary_key=True),
    Column("account", String(200), nullable=False),
    Column("thread_id", String(32), nullable=False),
    Column("purpose", StrEnumString(DraftPurpose, 32), nullable=False),
    Column("clock_started_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("folder", String(500), nullable=False),
    Column("location", String(500)),
    Column(
        "status",
        StrEnumString(DraftStatus, 16),
        nullable=False,
        server_default=DraftStatus.WRITTEN.value,
    ),
)
Index("ix_drafts_thread", drafts.c.thread_id)
Index(
    "uq_drafts_claim",
    drafts.c.account,
    drafts.c.thread_id,
    drafts.c.purpose,
    drafts.c.clock_started_at,
    unique=True,
)

marks = Table(
    "marks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(200), nullable=False),
    Column("thread_id", String(32), nullable=False),
    Column("action", StrEnumString(MarkAction, 32), nullable=False),
    Column("stage", String(32)),
    Column("at", UtcDateTime, nullable=False),
    # v8: a meeting mark's sitting, an incident mark's signals (codec.encode_mark_detail).
    Column("detail_json", Text),
)
Index("ix_marks_thread", marks.c.thread_id)

responses = Table(
    "responses",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("thread_id", String(32), primary_key=True),
    Column("started_at", UtcDateTime, primary_key=True),
    Column("answered_at", UtcDateTime),
    Column("due_at", UtcDateTime),
    Column("counterpart", String(320)),
    Column("client", Text),
)

account_health = Table(
    "account_health",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("last_success_at", UtcDateTime),
    Column("last_failure_at", UtcDateTime),
    Column("failing_since", UtcDateTime),
    Column("last_error", Text),
    # v2: backoff. Failures in a row since the last success, and when to try again.
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime),
)

# v5: one row per digest day and recipient: sent once, failures retried with backoff.
digests = Table(
    "digests",
    metadata,
    Column("day", Date, primary_key=True),
    Column("recipient", String(320), primary_key=True),
    Column("message_id", String(998), nullable=False),
    Column("sent_at", UtcDateTime),
    Column("delivered_to", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("last_attempt_at", UtcDateTime),
    Column("next_attempt_at", UtcDateTime),
)

# v7: the alert outbox, one row per (channel, event key): each event reaches each channel
# once, and waits here through quiet hours, a channel's backoff and a restart. The facts
# are what the wording needs (who, subject, deadline), never a mail body.
alert_outbox = Table(
    "alert_outbox",
    metadata,
    Column("channel", String(200), primary_key=True),
    Column("key", String(600), primary_key=True),
    Column("kind", StrEnumString(AlertKind, 32), nullable=False),
    Column("urgency", StrEnumString(Urgency, 16), nullable=False),
    Column("account", String(200)),
    Column("about", String(600)),
    Column("facts_json", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("dropped_at", UtcDateTime),  # no longer true before it could be sent
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_attempt_at", UtcDateTime),
    Column("next_attempt_at", UtcDateTime),
    Column("last_error", Text),
)
Index("ix_alert_outbox_pending", alert_outbox.c.channel, alert_outbox.c.sent_at)
Index("ix_alert_outbox_account", alert_outbox.c.account, alert_outbox.c.sent_at)

# v7: each alert channel's delivery health: its failure streak and when to try again.
alert_channels = Table(
    "alert_channels",
    metadata,
    Column("channel", String(200), primary_key=True),
    Column("last_success_at", UtcDateTime),
    Column("last_failure_at", UtcDateTime),
    Column("failing_since", UtcDateTime),
    Column("last_error", Text),
    Column("consecutive_failures", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime),
)

# v8: which process works an account now. A lease expires (a killed worker's is taken
# over) and is renewed by its holder; taken by the wall clock, never a what-if's.
account_leases = Table(
    "account_leases",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

# v8: each account's last assessment: when its outcome next changes by the clock alone,
# and a fingerprint of what it saw (opaque here), so a fresh process knows nothing is due.
account_cycles = Table(
    "account_cycles",
    metadata,
    Column("account", String(200), primary_key=True),
    Column("next_change_at", UtcDateTime),
    Column("assessed_at", UtcDateTime, nullable=False),
    Column("fingerprint", Text),
)
