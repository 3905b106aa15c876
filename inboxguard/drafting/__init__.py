"""Everything the owner reads: draft and digest rendering, and how dates are worded."""
