"""The command line (SPEC §10). Exit status: 0 success, 1 runtime failure, 2 usage/config."""

from __future__ import annotations

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
from typing import ParamSpec, TypeVar

import click
import structlog
from rich.console import Console
from rich.text import Text

from inboxguard.auth import graph as graph_auth
from inboxguard.auth.providers import authorize
from inboxguard.backends import ews_oauth, open_backend
from inboxguard.config import (
    Config,
    EwsAccount,
    GraphAccount,
    ImapAccount,
    MaildirAccount,
    config_path,
    load_config,
    state_url,
)
from inboxguard.delivery import probe
from inboxguard.digest.sending import DigestStatus, compose, send_digest
from inboxguard.domain.incident_protocol import Stage
from inboxguard.errors import ConfigError, InboxGuardError
from inboxguard.explain import explain_message
from inboxguard.log_setup import configure_logging
from inboxguard.service.assessing import EvaluationCache, assess_all
from inboxguard.service.context import Context
from inboxguard.service.cycle import AccountResult, run_cycle
from inboxguard.service.daemon import Daemon
from inboxguard.service.marking import ACTIONS, apply_mark
from inboxguard.service.status_view import health_lines, status_json, status_table
from inboxguard.starter import STARTER_CONFIG
from inboxguard.store import StateStore

ENV_NOW = "INBOXGUARD_NOW"
log = structlog.get_logger(__name__)


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
    return value


@dataclass
class App:
    config_path: Path | None
    verbose: int
    console: Console
    err: Console
    log_format: str | None = None

    def config(self) -> Config:
        return load_config(config_path(self.config_path))

    def context(self) -> Context:
        config = self.config()
        preflight(config)
        return Context.build(config)


def preflight(config: Config) -> None:
    """Problems the owner must fix in the configuration, found before anything is written."""
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
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    configure_logging(level, fmt=log_format or "auto")
    console = Console()
    if not console.is_terminal:
        # Piped or captured: no terminal width to respect, so do not squash the table.
        console = Console(width=160)
    ctx.obj = App(config_file, verbose, console, Console(stderr=True), log_format)


pass_app = click.make_pass_decorator(App)


@main.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@pass_app
@handle_errors
def init(app: App, force: bool) -> None:
    """Write a commented starter configuration."""
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
    ctx = app.context()
    now = current_time()
    problems = 0
    click.echo(
        f"configuration OK: {len(ctx.config.accounts)} account(s), owner {ctx.config.owner.name}"
    )
    for account in ctx.config.accounts:
        try:
            # Every kind answers alike, read-only (no FETCH, no write); the prefix is ours.
            with open_backend(account) as backend:
                for line in backend.describe(now=now, lookback=ctx.lookback):
                    click.echo(f"[{account.name}] {line}")
        except InboxGuardError as exc:
            problems += 1
            click.echo(f"[{account.name}] problem: {exc}", err=True)
    try:
        click.echo(
            f"[digest] {ctx.config.digest.time} {ctx.config.owner.timezone}: {probe(ctx.config)}"
        )
    except InboxGuardError as exc:
        problems += 1
        click.echo(f"[digest] problem: {exc}", err=True)
    if problems:
        sys.exit(1)


@main.command()
@click.option("--once", is_flag=True, help="Run one cycle for every account and exit.")
@pass_app
@handle_errors
def run(app: App, once: bool) -> None:
    """The service: polls, evaluates, writes drafts, sends the daily digest.

    SIGTERM finishes the cycle in flight and exits; SIGHUP reloads the configuration.
    """
    ctx = app.context()
    if once:
        with open_store(ctx.config) as store:
            results = _cycle(app, ctx, store, write_drafts=True)
        _print_results(results)
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
        log.info("digest delivery", check=probe(ctx.config))
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
    if (preview is None) == (not send):
        raise click.UsageError("give one of --preview FILE or --send")
    ctx = app.context()
    now = current_time()
    with open_store(ctx.config, read_only=preview is not None and is_what_if()) as store:
        if preview is not None:
            built = compose(ctx, store, now)
            preview.write_text(built.html, encoding="utf-8")
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
) -> list[AccountResult]:
    backends = [open_backend(a) for a in ctx.config.accounts]
    if not app.err.is_terminal:
        return run_cycle(
            ctx, store, backends, now=current_time(), write_drafts=write_drafts, cache=cache
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
        )


def _print_results(results: list[AccountResult]) -> None:
    for result in results:
        if result.busy:
            click.echo(f"account {result.account}: another cycle is running; skipped")
        elif result.skipped_until is not None:
            click.echo(
                f"{result.account}: skipped: backing off after a failure until "
                f"{result.skipped_until:%Y-%m-%d %H:%M} UTC"
            )
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
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (SPEC §10).")
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
                    status_json(views, now=now, calendar=ctx.calendar, health=seen.health()),
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
        if not views:
            click.echo("Nothing needs attention." if not show_all else "No tracked threads.")
            return
        app.console.print(status_table(views, now=now, calendar=ctx.calendar, language=language))


@main.command()
@click.argument("thread_id")
@click.argument("action", type=click.Choice(ACTIONS))
@click.argument("stage", required=False, type=click.Choice([s.value for s in Stage]))
@pass_app
@handle_errors
def mark(app: App, thread_id: str, action: str, stage: str | None) -> None:
    """Mark a thread.

    \b
    no-reply            needs no answer
    reopen              undo no-reply
    incident            open an incident (the 24h / 72h / 1-week reports)
    dismiss             a false alarm: close the open incident
    stage-done STAGE    a report was made another way: first_report, root_cause, remediation
    """
    ctx = app.context()
    with open_store(ctx.config) as store:
        if store.thread_account(thread_id) is None:
            # An id seen in a what-if `status` or in a digest before the service stored the
            # thread: read the mailboxes once (no drafts) so the mark finds it.
            _cycle(app, ctx, store, write_drafts=False)
        outcome = apply_mark(ctx, store, thread_id, action, stage, now=current_time())
    click.echo(outcome.message)


@main.command("auth")
@click.argument("account_name", metavar="ACCOUNT")
@pass_app
@handle_errors
def auth_command(app: App, account_name: str) -> None:
    """OAuth2 consent for a Google or Microsoft account; stores the refresh token."""
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


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object (SPEC §10).")
@pass_app
@handle_errors
def explain(app: App, file: Path, as_json: bool) -> None:
    """How one message is read: headers, automation, counterpart, promises."""
    try:
        config: Config | None = app.config()
    except ConfigError as exc:
        if exc.key != "config":
            raise
        config = None
        app.err.print(f"note: {exc}; explaining without owner addresses", highlight=False)
    ctx = Context.build(config) if config is not None else None
    result = explain_message(file.read_bytes(), ctx, now=current_time())
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for key, value in result.items():
        if key == "text":
            click.echo("text:")
            for line in str(value).splitlines():
                click.echo(f"  | {line}")
        else:
            click.echo(f"{key}: {json.dumps(value, ensure_ascii=False)}")


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
    from inboxguard.demo import run_demo  # noqa: PLC0415 -- only the demo needs the sample data

    run_demo(app.console, now=current_time(), keep=keep)
