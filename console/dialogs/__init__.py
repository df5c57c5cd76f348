"""Modal dialogs: each returns the operator's answer (or None when cancelled) with ``dismiss``."""
