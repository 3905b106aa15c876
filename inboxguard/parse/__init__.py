"""Bytes to ``Message``: header and body decoding, charset repair, new-text extraction.

``parse_message`` is the whole public surface; the modules beside it are its parts.
"""

from inboxguard.parse.message_parser import parse_message

__all__ = ["parse_message"]
