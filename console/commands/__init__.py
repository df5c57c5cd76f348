"""``clarity`` sub-commands that do long work through the daemon (one module each)."""
