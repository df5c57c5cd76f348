"""Widgets the console's screens are built from."""
