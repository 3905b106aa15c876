"""Bytes to ``Message``: header and body decoding, charset repair, new-text extraction.

``parse_message`` parses a whole message (or a header block alone). ``parse_text`` reads
only the new text, and ``with_text`` joins it to headers parsed earlier: a backend that
fetches headers first and text for some messages later parses each part once.
"""

from inboxguard.parse.message_parser import MessageText, parse_message, parse_text, with_text

__all__ = ["MessageText", "parse_message", "parse_text", "with_text"]
