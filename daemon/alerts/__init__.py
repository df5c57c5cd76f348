"""Alerts: configured rules that send matching events to webhooks and commands."""
