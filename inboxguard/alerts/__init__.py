"""Alerts to the owner's phone and chat through Apprise URLs (SPEC §8b, docs/alerts.md):
the URL's secrets (``url_tokens``), the words (``wording``), the sending (``sending``)."""
