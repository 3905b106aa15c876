"""The runners around the core: one cycle (poll → evaluate → act → record), and views."""
