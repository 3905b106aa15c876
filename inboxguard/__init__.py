"""InboxGuard: keeps a freelancer's reply promises to clients."""

__version__ = "0.1.0"
