"""OAuth2 for IMAP's XOAUTH2: consent once (``inboxguard auth NAME``), then access tokens.

``providers`` picks Google or Microsoft for an account; ``token_store`` keeps what consent
yielded in a 0600 file. No token, code or secret is ever logged or put in an error message.
"""
