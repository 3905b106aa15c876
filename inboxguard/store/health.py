"""Account health: each account's last cycle outcome, its failure streak, and when to try
again after a failure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, func, select

from inboxguard.store import schema
from inboxguard.store.engine import dialect_insert

_h = schema.account_health


@dataclass(frozen=True, slots=True)
class AccountHealth:
    account: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    failing_since: datetime | None
    last_error: str | None
    consecutive_failures: int = 0
    next_attempt_at: datetime | None = None  # set after a failure: leave the account till then


def record_poll(
    c: Connection,
    account: str,
    *,
    at: datetime,
    error: str | None,
    next_attempt_at: datetime | None,
) -> None:
    """A success clears the streak and the retry time (the last error stays, for the
    record); a failure counts one more in a row and keeps when the streak began."""
    record_streak(c, _h, "account", account, at=at, error=error, next_attempt_at=next_attempt_at)


def record_streak(
    c: Connection,
    table: Table,
    key: str,
    value: str,
    *,
    at: datetime,
    error: str | None,
    next_attempt_at: datetime | None,
) -> None:
    """One outcome in a failure-streak table (accounts here, alert channels beside it):
    the row whose ``key`` column is ``value``, upserted against what is stored."""
    values: dict[str, Any]
    if error is None:
        values = {
            "last_success_at": at,
            "failing_since": None,
            "consecutive_failures": 0,
            "next_attempt_at": None,
        }
    else:
        values = {
            "last_failure_at": at,
            "failing_since": at,
            "last_error": error,
            "consecutive_failures": 1,
            "next_attempt_at": next_attempt_at,
        }
    statement = dialect_insert(c, table).values({key: value, **values})
    changes: dict[str, Any] = dict(values)
    if error is not None:
        # Against the stored row: the streak goes on from what it was.
        changes["failing_since"] = func.coalesce(
            table.c.failing_since, statement.excluded.failing_since
        )
        changes["consecutive_failures"] = table.c.consecutive_failures + 1
    c.execute(statement.on_conflict_do_update(index_elements=[table.c[key]], set_=changes))


def account_health(c: Connection, account: str) -> AccountHealth | None:
    row = c.execute(select(_h).where(_h.c.account == account)).one_or_none()
    return AccountHealth(**row._mapping) if row is not None else None


def health(c: Connection) -> list[AccountHealth]:
    return [AccountHealth(**row._mapping) for row in c.execute(select(_h).order_by(_h.c.account))]
