"""The commented starter configuration written by `inboxguard init`.

It must load as it is written (``load_config``), and every commented line must load once
uncommented where it stands: top-level keys such as ``rules_dir`` come before the first
table, since TOML files every key below ``[state]`` into that table. The account it starts
from is an IMAP one, the common case; the Maildir example sits beside it, commented.
"""

STARTER_CONFIG = """\
# InboxGuard configuration. Every key, its type and default: docs/configuration.md (in the
# InboxGuard repository). Check it with `inboxguard check`; one cycle: `inboxguard run --once`.

# Top-level keys come first: TOML puts every key below a [table] line into that table.
# rules_dir = "~/.config/inboxguard/rules"          # your copies of rules/*.toml
# templates_dir = "~/.config/inboxguard/templates"  # your copies of templates/*.j2

[owner]
name = "佐藤 花子"                      # your name as it appears in drafts
addresses = ["hanako@example.jp"]      # every identity you send from: mail From these is "me"
timezone = "Asia/Tokyo"                # IANA zone name
language = "ja"                        # ja | en: drafts and digest
signature = \"\"\"
佐藤 花子
hanako@example.jp
\"\"\"

[sla]
reply_within = "24h"                   # the promise to clients
clock = "calendar"                     # calendar | business (only business hours count)
business_hours = "09:00-18:00"
workdays = ["mon", "tue", "wed", "thu", "fri"]
holidays = "JP"                        # country code for public holidays; "" for none
warn_before = "6h"                     # "at risk" from here on
cc_counts = false                      # does mail that only Cc's me start a clock?
holding_draft_after = "16h"            # clock time before a holding-reply draft is written
promise_business_days = 2              # promised date = this many business days ahead
lookback = "30d"                       # first start scans this far back

# One [[accounts]] table per mailbox. An IMAP account (Xserver, さくら, Fastmail, Dovecot…):
[[accounts]]
name = "work"
kind = "imap"
host = "imap.example.jp"
port = 993
security = "tls"                       # tls | starttls | none (none: loopback hosts only)
username = "hanako@example.jp"
# Run through /bin/sh like mbsync's PassCmd; the first line it prints is the password.
password_command = "pass show mail/work"   # or password_env / password_credential
watch = ["INBOX"]                      # folders with incoming client mail
# drafts_folder / sent_folder: found by SPECIAL-USE or usual names; name them here if not
# drafts_folder = "Drafts"
# ca_file = "/etc/ssl/private-ca.pem"  # a server whose certificate comes from a private CA
# Gmail and Microsoft 365 need OAuth2 instead of password_command: auth = "oauth2",
# oauth_provider = "google" | "microsoft", oauth_client_id = "…", then run
# `inboxguard auth work` once.

# A local Maildir kept in sync by mbsync/offlineimap, instead or as well:
# [[accounts]]
# name = "local"
# kind = "maildir"
# path = "~/Mail/work"                 # Maildir++ or one maildir per folder (detected)
# watch = ["INBOX"]
# sent_folder = "Sent"
# drafts_folder = "Drafts"             # created with the first draft if missing

[digest]
time = "08:00"                         # in owner.timezone; sent later the same day if missed
# to = "hanako@example.jp"             # default: the first of owner.addresses
delivery = "file"                      # smtp | imap-append | file
# path = "~/.local/state/inboxguard/digests"   # delivery = "file": one .eml and .html a day
# account = "work"                     # delivery = "imap-append": into this account's INBOX
# smtp_host = "smtp.example.jp"        # delivery = "smtp":
# smtp_security = "tls"                # tls (465) | starttls (587)
# smtp_username = "hanako@example.jp"
# smtp_password_command = "pass show mail/work"   # or smtp_password_env / _credential
# smtp_auth = "oauth2"                 # instead: XOAUTH2 with an oauth2 account's consent
# smtp_oauth_account = "gmail"
# skip_if_empty = false

[service]
poll_interval = "2m"                   # each account, jittered by poll_jitter
poll_jitter = "20s"
log_format = "auto"                    # auto (JSON under journald) | json | console

[state]
# url = "sqlite:///~/.local/state/inboxguard/state.db"   # default; or postgresql+psycopg://…
"""
