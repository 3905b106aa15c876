"""The command line (SPEC §10). Exit status: 0 success, 1 runtime failure, 2 usage/config.

Each command imports what it needs when it runs, never at import: `inboxguard --help` (and a
command's own --help) loads click and nothing else, and a command loads only the backend
kinds its accounts use (backends.KINDS) — exchangelib, msal and httpx for IMAP accounts
never, the store's SQL stack for `explain` or `init` never.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import click

from inboxguard.errors import ConfigError, InboxGuardError, StoreError

if TYPE_CHECKING:
    from rich.console import Console

    from inboxguard.config import Config
    from inboxguard.domain.calendar import BusinessCalendar
    from inboxguard.domain.incident_adjustments import Adjustments
    from inboxguard.service.assessing import EvaluationCache
    from inboxguard.service.context import Context
    from inboxguard.service.cycle import AccountResult
    from inboxguard.store import StateStore

ENV_NOW = "INBOXGUARD_NOW"
# The standard library's logger (structlog renders its records): importing structlog here
# would cost every --help a fifth of a second.
log = logging.getLogger(__name__)


class DigestNotSent(InboxGuardError):
    """`digest --send` could not deliver (the error says why; it is retried by the service)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"digest not sent: {reason}")


P = ParamSpec("P")
R = TypeVar("R")


def is_what_if() -> bool:
    """INBOXGUARD_NOW is set: the command asks "what if it were then?" and, where it only
    reads (status, digest --preview, explain), writes nothing to the store (SPEC §12)."""
    return bool(os.environ.get(ENV_NOW))


def current_time() -> datetime:
    """The wall clock, or INBOXGUARD_NOW ("what happens tomorrow at 9?")."""
    raw = os.environ.get(ENV_NOW)
    if not raw:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ConfigError(
            ENV_NOW, f"{raw!r} is not ISO 8601 (e.g. 2026-11-21T09:00:00+09:00)"
        ) from None
    if value.tzinfo is None:
        raise ConfigError(ENV_NOW, f"{raw!r} needs a UTC offset (e.g. +09:00)")
    # Deadlines, look-back windows and the owner's local time are all computed from now:
    # an instant near the calendar's edge would overflow in the middle of a cycle (and be
    # recorded as the account's failure at every poll) instead of being refused here. A
    # UTC year up to 9998 leaves a year of room after it.
    first, last = 1970, 9998
    try:
        year = value.astimezone(UTC).year
    except OverflowError:  # the offset alone takes it past the calendar's edge
        year = 0
    if not first <= year <= last:
        raise ConfigError(ENV_NOW, f"{raw!r} is out of range (use a time from {first} to {last})")
    return value


@dataclass
class App:
    config_path: Path | None
    verbose: int
    log_format: str | None = None

    def config(self) -> Config:
        from inboxguard.config import config_path, load_config

        return load_config(config_path(self.config_path))

    def context(self) -> Context:
        from inboxguard.service.context import Context

        config = self.config()
        preflight(config)
        return Context.build(config)

    def start_logging(self) -> None:
        from inboxguard.log_setup import configure_logging

        level = {0: logging.WARNING, 1: logging.INFO}.get(self.verbose, logging.DEBUG)
        configure_logging(level, fmt=self.log_format or "auto")

    @functools.cached_property
    def console(self) -> Console:
        from rich.console import Console

        console = Console()
        if not console.is_terminal:
            # Piped or captured: no terminal width to respect, so do not squash the table.
            console = Console(width=160)
        return console

    @functools.cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(stderr=True)


def preflight(config: Config) -> None:
    """Problems the owner must fix in the configuration, found before anything is written."""
    from inboxguard.config import MaildirAccount

    for index, account in enumerate(config.accounts):
        if not isinstance(account, MaildirAccount):
            continue  # a server account is checked by connecting (`inboxguard check`)
        if not account.path.exists():
            raise ConfigError(f"accounts[{index}].path", f"{account.path} does not exist")
        if not account.path.is_dir():
            raise ConfigError(f"accounts[{index}].path", f"{account.path} is not a directory")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """One line on stderr and the error's exit status, never a traceback, for our errors."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except InboxGuardError as exc:
            click.echo(f"inboxguard: {exc}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException:
            raise  # usage errors: click words them
        except Exception as exc:  # a defect of ours: a sentence for the user, never a traceback
            log.debug("unexpected error", exc_info=True)
            click.echo(
                f"inboxguard: unexpected error ({type(exc).__name__}); run again with -vv "
                "for details and report it",
                err=True,
            )
            sys.exit(1)

    return wrapper


@contextmanager
def open_store(config: Config, *, read_only: bool = False) -> Iterator[StateStore]:
    from inboxguard.config import state_url
    from inboxguard.store import StateStore

    store = StateStore.open(state_url(config), read_only=read_only)
    try:
        yield store
    finally:
        store.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", "config_file", type=click.Path(path_type=Path), help="Configuration file."
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option(
    "--log-format",
    type=click.Choice(["auto", "json", "console"]),
    help="Log lines as JSON or key=value (auto: JSON under journald). Default: the "
    "configuration's service.log_format.",
)
@click.version_option(package_name="inboxguard")
@click.pass_context
def main(
    ctx: click.Context, config_file: Path | None, verbose: int, log_format: str | None
) -> None:
    """InboxGuard keeps your 24-hour reply promise to clients."""
    ctx.obj = App(config_file, verbose, log_format)


def pass_app(func: Callable[Concatenate[App, P], R]) -> Callable[P, R]:
    """click.make_pass_decorator(App), with the logging set up first. Here and not in
    ``main``: a command's --help has returned before its callback runs, so it never loads
    the logging stack (structlog, rich)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        app = click.get_current_context().find_object(App)
        if app is None:  # pragma: no cover - main() always sets it
            raise click.UsageError("run through the inboxguard command")
        app.start_logging()
        return func(app, *args, **kwargs)

    return wrapper


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@pass_app
@handle_errors
def init(app: App, force: bool) -> None:
    """Write a commented starter configuration."""
    from inboxguard.config import config_path
    from inboxguard.starter import STARTER_CONFIG

    path = config_path(app.config_path)
    if path.exists() and not force:
        raise ConfigError("config", f"{path} already exists (use --force to overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    click.echo(f"wrote {path}; edit it, then run `inboxguard check`")


@main.command()
@pass_app
@handle_errors
def check(app: App) -> None:
    """Validate the configuration and look at every account without changing anything."""
    from inboxguard.backends import open_backend
    from inboxguard.delivery import probe

    ctx = app.context()
    now = current_time()
    problems = 0
    click.echo(
        f"configuration OK: {len(ctx.config.accounts)} account(s), owner {ctx.config.owner.name}"
    )
    try:
        click.echo(f"[state] {check_store(ctx.config)}")
    except InboxGuardError as exc:
        problems += 1
        click.echo(f"[state] problem: {exc}", err=True)
    with _quiet_imapclient(app.verbose == 0):
        for account in ctx.config.accounts:
            try:
                # Every kind answers alike, read-only (no FETCH, no write); the prefix is ours.
                with open_backend(account) as backend:
                    for line in backend.describe(now=now, lookback=ctx.lookback):
                        click.echo(f"[{account.name}] {line}")
            except InboxGuardError as exc:
                problems += 1
                click.echo(f"[{account.name}] problem: {exc}", err=True)
    if not problems:
        # What the next run will do (read into a scratch copy: nothing is written).
        with open_store(ctx.config, read_only=True) as store:
            for line in _what_a_run_would_do(app, ctx, store):
                click.echo(f"[next run] {line}")
    try:
        click.echo(
            f"[digest] {ctx.config.digest.time} {ctx.config.owner.timezone}: {probe(ctx.config)}"
        )
    except InboxGuardError as exc:
        problems += 1
        click.echo(f"[digest] problem: {exc}", err=True)
    if problems:
        sys.exit(1)


def check_store(config: Config) -> str:
    """What `run` meets opening the state store, found without writing to it: the file and
    its directory writable (``os.access``: nothing is created to find out), the store opened
    as `run` opens it (an older schema is upgraded, as `run` would), and SQLite's
    ``PRAGMA quick_check``. A store not created yet needs only a directory it can be made in.
    """
    from inboxguard.config import state_url
    from inboxguard.store import StateStore
    from inboxguard.store.engine import locate, translated_errors

    url = state_url(config)
    location = locate(url)
    path = location.path
    if path is not None:
        if not path.exists():
            parent = next(p for p in path.parents if p.exists())
            if not os.access(parent, os.W_OK | os.X_OK):
                raise StoreError(location.name, f"cannot be created: {parent} is not writable")
            return f"{path} does not exist yet; the first run creates it"
        if not path.is_file():
            raise StoreError(location.name, "is not a file")
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(location.name, "is not writable by this user")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            # SQLite keeps its -wal and -shm files beside the database.
            raise StoreError(location.name, f"its directory {path.parent} is not writable")
    store = StateStore.open(url)
    try:
        if location.dialect == "sqlite":
            with translated_errors(location.name), store.engine.connect() as connection:
                found = [str(r) for r in connection.exec_driver_sql("PRAGMA quick_check").scalars()]
            if found != ["ok"]:
                # SQLite's own words name pages and indexes, never a row's values; the
                # "*** in database main ***" heading says nothing.
                said = [line for r in found for line in r.splitlines() if line[:3] != "***"]
                first = said[0][:200] if said else "no answer"
                raise StoreError(
                    location.name,
                    f"is damaged ({first}): restore a backup, or move it away to start afresh",
                )
    finally:
        store.close()
    return f"{location.name}: OK"


@contextmanager
def _quieted(name: str, level: int, quiet: bool) -> Iterator[None]:
    """Logger ``name`` raised to ``level`` while quiet (a person reads the command's own
    lines; -v brings the rest back)."""
    logger = logging.getLogger(name)
    before = logger.level
    if quiet:
        logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)


def _quiet_imapclient(quiet: bool) -> contextlib.AbstractContextManager[None]:
    """imapclient warns on the terminal about a server answer it decodes loosely (the NO to
    STATUS of a folder with a non-ASCII name): noise next to check's own line about it."""
    return _quieted("imapclient", logging.ERROR, quiet)


@main.command()
@click.option("--once", is_flag=True, help="Run one cycle for every account and exit.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="With --once: read the mail and say what the cycle would write; write nothing.",
)
@pass_app
@handle_errors
def run(app: App, once: bool, dry_run: bool) -> None:
    """The service: polls, evaluates, writes drafts, sends the daily digest.

    SIGTERM finishes the cycle in flight and exits; SIGHUP reloads the configuration.
    """
    import structlog

    from inboxguard.config import config_path
    from inboxguard.delivery import probe
    from inboxguard.log_setup import configure_logging
    from inboxguard.service.alerting import after_poll
    from inboxguard.service.assessing import EvaluationCache
    from inboxguard.service.daemon import Daemon

    ctx = app.context()
    if dry_run and not once:
        raise click.UsageError("--dry-run goes with --once")
    if dry_run:
        with open_store(ctx.config, read_only=True) as store:
            for line in _what_a_run_would_do(app, ctx, store):
                click.echo(line)
        return
    if once:
        with open_store(ctx.config) as store:
            # A person asked now (after fixing a password, say): no backoff applies.
            # A cache, empty: the store's record of the last cycle may say nothing is due.
            results = _cycle(
                app,
                ctx,
                store,
                write_drafts=True,
                honour_backoff=False,
                cache=EvaluationCache(keep_views=False),
            )
            after_poll(ctx, store, current_time(), results)  # account health, held alerts
        _print_results(results, ctx.calendar)
        if any(not r.ok for r in results):
            sys.exit(1)
        return
    # A service says what it does: INFO unless asked for more, in the configured format.
    level = {0: logging.INFO, 1: logging.INFO}.get(app.verbose, logging.DEBUG)
    configure_logging(level, fmt=app.log_format or ctx.config.service.log_format)
    # The scheduler announces every job run at INFO; the cycle's own lines say what matters.
    logging.getLogger("apscheduler").setLevel(
        logging.DEBUG if level < logging.INFO else logging.WARNING
    )
    if ctx.config.digest.delivery == "smtp":
        # A digest that cannot be delivered is found at start, not at 08:00.
        structlog.get_logger(__name__).info("digest delivery", check=probe(ctx.config))
    with open_store(ctx.config) as store:
        daemon = Daemon(config_path(app.config_path), ctx.config, store, current_time)
        sys.exit(daemon.run())


@main.command()
@click.option(
    "--preview",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the digest (HTML) to this file; send nothing.",
)
@click.option("--send", is_flag=True, help="Send today's digest now (even if already sent).")
@pass_app
@handle_errors
def digest(app: App, preview: Path | None, send: bool) -> None:
    """The daily digest: preview it, or send it now (from the stored state)."""
    from inboxguard.digest.sending import DigestStatus, compose, send_digest

    if (preview is None) == (not send):
        raise click.UsageError("give one of --preview FILE or --send")
    ctx = app.context()
    now = current_time()
    with open_store(ctx.config, read_only=preview is not None and is_what_if()) as store:
        if preview is not None:
            built = compose(ctx, store, now)
            try:
                preview.write_text(built.html, encoding="utf-8")
            except OSError as exc:
                # A typo in the directory, a file someone else owns: a sentence, exit 1.
                reason = exc.strerror or type(exc).__name__
                if not preview.parent.exists():
                    reason = f"the directory {preview.parent} does not exist"
                raise InboxGuardError(
                    f"digest --preview: cannot write {preview}: {reason}"
                ) from None
            click.echo(f"digest written to {preview} ({built.content.needs_action} item(s))")
            return
        outcome = send_digest(ctx, store, now, force=True)
    if outcome.status is not DigestStatus.SENT:
        raise DigestNotSent(outcome.error or outcome.status)
    where = outcome.record.delivered_to if outcome.record else ""
    click.echo(f"digest for {outcome.day.isoformat()} sent: {where}")


def _cycle(
    app: App,
    ctx: Context,
    store: StateStore,
    *,
    write_drafts: bool,
    cache: EvaluationCache | None = None,
    honour_backoff: bool = True,
) -> list[AccountResult]:
    """One cycle from the command line. Each account's outcome is printed by the caller, so
    the cycle's own failure lines (meant for the service's journal) show only with -v."""
    from inboxguard.backends import open_backend
    from inboxguard.service.cycle import run_cycle

    backends = [open_backend(a) for a in ctx.config.accounts]
    with _quiet_cycle_log(app.verbose == 0):
        if not app.err.is_terminal:
            return run_cycle(
                ctx,
                store,
                backends,
                now=current_time(),
                write_drafts=write_drafts,
                cache=cache,
                honour_backoff=honour_backoff,
            )
        with app.err.status("reading mail…") as spinner:

            def progress(what: str, done: int, total: int) -> None:
                spinner.update(f"reading {what}: {done}/{total}")

            return run_cycle(
                ctx,
                store,
                backends,
                now=current_time(),
                write_drafts=write_drafts,
                progress=progress,
                cache=cache,
                honour_backoff=honour_backoff,
            )


def _quiet_cycle_log(quiet: bool) -> contextlib.AbstractContextManager[None]:
    """The cycle's failure lines are for the service's journal; a command prints its own."""
    return _quieted("inboxguard.service.cycle", logging.CRITICAL, quiet)


def _what_a_run_would_do(app: App, ctx: Context, store: StateStore) -> list[str]:
    """Read every account into a scratch copy of the store (nothing written anywhere) and
    say what the cycle would do: threads tracked, drafts owed, backlog left alone."""
    from inboxguard.service.assessing import assess_account
    from inboxguard.service.status_view import first_run_lines

    scratch = store.scratch_copy()
    try:
        results = _cycle(app, ctx, scratch, write_drafts=False, honour_backoff=False)
        now = current_time()
        lines = []
        for result in results:
            if not result.ok:
                lines.append(f"{result.account}: FAILED: {result.error}")
                continue
            assessed = assess_account(ctx, scratch, result.account, now)
            lines.extend(first_run_lines(result.account, result.new_messages, assessed))
        return lines
    finally:
        scratch.close()


def _print_results(results: list[AccountResult], calendar: BusinessCalendar) -> None:
    for result in results:
        if result.busy:
            click.echo(f"account {result.account}: another cycle is running; skipped")
        elif result.skipped_until is not None:
            until = calendar.local(result.skipped_until)  # the owner's zone, like every time
            click.echo(
                f"{result.account}: skipped: backing off after a failure until "
                f"{until:%Y-%m-%d %H:%M %Z}"
            )
        elif result.ok and not result.evaluated:
            # The store's record of the last cycle still holds: nothing was assessed anew.
            click.echo(f"{result.account}: nothing new, nothing due since the last cycle")
        elif result.ok:
            states = (
                ", ".join(f"{k} {v}" for k, v in sorted(result.states.items()))
                or "no tracked threads"
            )
            found = f", {len(result.drafts_found)} found" if result.drafts_found else ""
            click.echo(
                f"{result.account}: {result.new_messages} new message(s), "
                f"{len(result.drafts_written)} draft(s) written{found}; {states}"
            )
        else:
            click.echo(f"{result.account}: FAILED: {result.error}", err=True)


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Every tracked thread, answered ones too.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Machine-readable output (docs/configuration.md: the status --json shape).",
)
@click.option(
    "--cached", is_flag=True, help="Do not read the mailboxes first; use the state store."
)
@pass_app
@handle_errors
def status(app: App, show_all: bool, as_json: bool, cached: bool) -> None:
    """The threads that need attention, most urgent first.

    With INBOXGUARD_NOW set, the mailboxes are read into a scratch copy of the store and
    the store itself is left as it was.
    """
    from rich.text import Text

    from inboxguard.service.assessing import assess_all
    from inboxguard.service.leases import worker_lines
    from inboxguard.service.status_view import (
        backlog_line,
        channel_lines,
        health_lines,
        short_ids,
        status_json,
        status_table,
    )

    ctx = app.context()
    now = current_time()
    what_if = is_what_if()
    with open_store(ctx.config, read_only=what_if) as store:
        seen = store
        if not cached:
            seen = store.scratch_copy() if what_if else store
            for result in _cycle(app, ctx, seen, write_drafts=False):
                if not result.ok:
                    click.echo(
                        f"warning: {result.account}: {result.error} (showing stored state)",
                        err=True,
                    )
        views = assess_all(ctx, seen, now)
        if not show_all:
            views = [v for v in views if v.needs_attention]
        if as_json:
            click.echo(
                json.dumps(
                    status_json(
                        views,
                        now=now,
                        calendar=ctx.calendar,
                        health=seen.health(),
                        channels=seen.alert_channels(),
                        polled_by={
                            lease.account: lease.holder
                            for lease in store.leases(datetime.now(UTC))
                            if not lease.expired(datetime.now(UTC))
                        },
                    ),
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        language = ctx.config.owner.language
        names = [a.name for a in ctx.config.accounts]
        for line, failing in health_lines(seen.health(), ctx.calendar, language, names):
            style = "bold red" if failing else "dim"
            app.console.print(Text(line, style=style))
        # Which worker polls which account (several `run` processes may share a store).
        for line in worker_lines(store.leases(datetime.now(UTC)), names, datetime.now(UTC)):
            app.console.print(Text(line, style="dim"))
        channels = [c.name for c in ctx.config.alerts]
        for line in channel_lines(seen.alert_channels(), ctx.calendar, language, channels):
            app.console.print(Text(line, style="bold red"))
        # The backlog (overdue past the holding reply's late limit) is one line after what
        # can still be saved, unless every thread was asked for.
        backlog = [] if show_all else [v for v in views if v.backlog]
        views = [v for v in views if not v.backlog] if backlog else views
        if not views and not backlog:
            click.echo("Nothing needs attention." if not show_all else "No tracked threads.")
            return
        if views:
            ids = short_ids(seen.thread_ids())
            app.console.print(
                status_table(
                    views,
                    now=now,
                    calendar=ctx.calendar,
                    language=language,
                    width=app.console.width,
                    ids=ids,
                )
            )
        if backlog:
            late = ctx.config.sla.holding_draft_late_limit
            line = backlog_line(backlog, late_limit=late)
            app.console.print(Text(line, style="dim"))


@main.command(context_settings={"ignore_unknown_options": False})
@click.argument("words", nargs=-1, metavar="[THREAD] ACTION [STAGE | START [END]]")
@click.option(
    "--backlog",
    "backlog",
    is_flag=True,
    help="With no-reply: every thread in the backlog (overdue past the late limit).",
)
@click.option(
    "--overdue-before",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="With no-reply: every thread overdue since before this date (YYYY-MM-DD).",
)
@pass_app
@handle_errors
def mark(app: App, words: tuple[str, ...], backlog: bool, overdue_before: datetime | None) -> None:
    """Mark a thread (its id, or a unique start of it as `status` shows).

    \b
    no-reply            needs no answer
    reopen              undo no-reply
    incident            open an incident (the 24h / 72h / 1-week reports)
    dismiss             a false alarm: close the open incident
    stage-done STAGE    a report was made another way: first_report, root_cause, remediation
    no-follow-up        stop chasing what I asked them for (no follow-up draft)
    meeting START [END] a meeting arranged in plain mail (2026-12-04T14:00 15:00;
                        14:00 alone is today; END defaults to an hour later)

    \b
    In bulk, for old unanswered mail:
    inboxguard mark --backlog no-reply
    inboxguard mark --overdue-before 2026-11-01 no-reply
    """
    from inboxguard.domain.incident_protocol import Stage
    from inboxguard.domain.marks import MarkAction
    from inboxguard.service.marking import (
        ACTIONS,
        apply_mark,
        mark_overdue_no_reply,
        parse_meeting,
        resolve_thread_id,
    )

    ctx = app.context()
    bulk = backlog or overdue_before is not None
    if bulk:
        if list(words) != [MarkAction.NO_REPLY.value]:
            raise click.UsageError("--backlog and --overdue-before take the action no-reply only")
        with open_store(ctx.config) as store:
            bulk_outcome = mark_overdue_no_reply(
                ctx,
                store,
                now=current_time(),
                before=overdue_before.date() if overdue_before is not None else None,
                backlog_only=backlog,
            )
        click.echo(bulk_outcome.message)
        return
    if len(words) < 2:
        raise click.UsageError("give THREAD ACTION [STAGE] (see `inboxguard mark --help`)")
    thread_id, action, *rest = words
    if action not in ACTIONS:
        raise click.UsageError(f"unknown action {action!r} (one of {', '.join(ACTIONS)})")
    occurrence = None
    if action == MarkAction.MEETING.value:
        if len(rest) not in (1, 2):
            raise click.UsageError("give THREAD meeting START [END] (see `inboxguard mark --help`)")
        occurrence = parse_meeting(
            rest[0], rest[1] if len(rest) > 1 else None, now=current_time(), calendar=ctx.calendar
        )
        rest = []
    if len(rest) > 1:
        raise click.UsageError("give THREAD ACTION [STAGE] (see `inboxguard mark --help`)")
    stage = rest[0] if rest else None
    stages = [s.value for s in Stage]
    if stage is not None and stage not in stages:
        raise click.UsageError(f"unknown stage {stage!r} (one of {', '.join(stages)})")
    with open_store(ctx.config) as store:
        if store.thread_account(resolve_thread_id(store, thread_id)) is None:
            # An id seen in a what-if `status` or in a digest before the service stored the
            # thread: read the mailboxes once (no drafts) so the mark finds it.
            _cycle(app, ctx, store, write_drafts=False)
        outcome = apply_mark(
            ctx, store, thread_id, action, stage, now=current_time(), occurrence=occurrence
        )
    click.echo(outcome.message)


@main.command()
@click.option("--test", "test", is_flag=True, help="Send a test alert and say what happened.")
@click.argument("channel", required=False)
@pass_app
@handle_errors
def alert(app: App, test: bool, channel: str | None) -> None:
    """Alerts through Apprise (`[[alerts]]`, docs/alerts.md): `--test [CHANNEL]` sends a
    test message to every channel (or one), one line each; exit 1 if any failed."""
    from inboxguard.service.alerting import try_channels

    if not test:
        raise click.UsageError("give --test [CHANNEL]")
    ctx = app.context()
    failed = False
    for name, outcome in try_channels(ctx, channel):
        if outcome.ok:
            click.echo(f"{name}: sent")
        else:
            failed = True
            click.echo(f"{name}: FAILED: {outcome.reason}")
    if failed:
        sys.exit(1)


@main.command("auth")
@click.argument("account_name", metavar="ACCOUNT")
@pass_app
@handle_errors
def auth_command(app: App, account_name: str) -> None:
    """OAuth2 consent for a Google or Microsoft account; stores the refresh token."""
    from inboxguard.auth import graph as graph_auth
    from inboxguard.auth.providers import authorize
    from inboxguard.backends import ews_oauth
    from inboxguard.config import EwsAccount, GraphAccount, ImapAccount

    config = app.config()
    for index, account in enumerate(config.accounts):
        if account.name != account_name:
            continue
        if isinstance(account, GraphAccount):
            path = graph_auth.authorize(account, out=click.echo)
            click.echo(f"consent stored for {account_name} in {path}")
            return
        if isinstance(account, EwsAccount) and account.auth == "oauth2":
            path = ews_oauth.authorize(account, out=click.echo)
            click.echo(f"consent stored for {account_name} in {path}")
            return
        if not isinstance(account, ImapAccount) or account.auth != "oauth2":
            raise ConfigError(
                f"accounts[{index}].auth", f"account {account_name!r} does not use OAuth2"
            )
        path = authorize(account, out=click.echo)
        # Where, never what: the file holds the refresh token.
        click.echo(f"consent stored for {account_name} in {path}")
        return
    names = ", ".join(a.name for a in config.accounts)
    raise ConfigError("accounts", f"no account named {account_name!r} (accounts: {names})")


def _owner_adjustments(ctx: Context | None) -> Adjustments:
    """The owner's incident corrections from the store's marks; none without a store."""
    from inboxguard.domain.incident_adjustments import NO_ADJUSTMENTS, owner_adjustments

    if ctx is None:
        return NO_ADJUSTMENTS
    try:
        with open_store(ctx.config, read_only=True) as store:
            marks = [m for account in ctx.config.accounts for m in store.marks(account.name)]
    except InboxGuardError:
        return NO_ADJUSTMENTS
    return owner_adjustments(marks)


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object (docs/configuration.md).")
@pass_app
@handle_errors
def explain(app: App, file: Path, as_json: bool) -> None:
    """How one message is read: headers, automation, counterpart, promises."""
    from inboxguard.explain import display_lines, explain_message, read_for_explain
    from inboxguard.service.context import Context

    try:
        config: Config | None = app.config()
    except ConfigError as exc:
        if exc.key != "config":
            raise
        config = None
        app.err.print(f"note: {exc}; explaining without owner addresses", highlight=False)
    ctx = Context.build(config) if config is not None else None
    # A bounded prefix: a 30 MB attachment or a binary file costs no more than a mail.
    raw = read_for_explain(file)
    result = explain_message(raw, ctx, now=current_time(), adjustments=_owner_adjustments(ctx))
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for line in display_lines(result):  # strangers' text neutralised for the terminal
        click.echo(line)


@main.command()
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Build the demo here and keep it.",
)
@pass_app
@handle_errors
def demo(app: App, keep: Path | None) -> None:
    """The whole pipeline on a generated sample Maildir, no network."""
    from inboxguard.demo import run_demo

    run_demo(app.console, now=current_time(), keep=keep)
