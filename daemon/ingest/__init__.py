"""Ingestion: watched folders and handed-over files become proposals, each exactly once.

watcher (settled files) → pipeline (journal, extract, infer) → proposing (one transaction
with governance) — see DESIGN.md's data flow. :class:`Ingest` is what the daemon starts.
"""

from .service import Ingest

__all__ = ["Ingest"]
