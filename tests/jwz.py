"""An independent threader for reading our drafts back: Jamie Zawinski's algorithm
(https://www.jwz.org/doc/threading.html, steps 1-2), written here from the description and
sharing nothing with ``inboxguard.domain.threading``. A mail client threads a draft under
the message it answers exactly when this does."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.message import Message

_ID = re.compile(r"<[^<>\s]+>")


@dataclass(eq=False)
class Container:
    message_id: str
    message: Message | None = None
    parent: Container | None = None
    children: list[Container] = field(default_factory=list)

    def root(self) -> Container:
        node = self
        while node.parent is not None:
            node = node.parent
        return node

    def reaches(self, other: Container) -> bool:
        node: Container | None = self
        while node is not None:
            if node is other:
                return True
            node = node.parent
        return False


def thread(messages: Iterable[Message]) -> dict[str, Container]:
    """Containers by Message-ID, linked by References then In-Reply-To (JWZ step 1)."""
    table: dict[str, Container] = {}

    def get(message_id: str) -> Container:
        return table.setdefault(message_id, Container(message_id))

    for message in messages:
        own = _ID.findall(str(message.get("Message-ID", "")))
        if not own:
            continue
        this = get(own[0])
        this.message = message
        refs = _ID.findall(str(message.get("References", "")))
        reply_to = _ID.findall(str(message.get("In-Reply-To", "")))
        if reply_to and (not refs or refs[-1] != reply_to[0]):
            refs.append(reply_to[0])
        previous: Container | None = None
        for ref in refs:
            node = get(ref)
            if previous is not None and node.parent is None and not previous.reaches(node):
                node.parent = previous
                previous.children.append(node)
            previous = node
        if previous is not None and previous is not this and not previous.reaches(this):
            if this.parent is not None:
                this.parent.children.remove(this)
            this.parent = previous
            previous.children.append(this)
    return table


def same_thread(messages: Iterable[Message], a: str, b: str) -> bool:
    table = thread(messages)
    return a in table and b in table and table[a].root() is table[b].root()
