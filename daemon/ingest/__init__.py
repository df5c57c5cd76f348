"""Ingestion: watched folders and handed-over files become proposals, each exactly once.

watcher (settled files) → pipeline (journal, extract, infer) → proposing (one transaction
with governance) — README.md, "Ingestion", says what an operator sees of it; each module's
docstring says how its step works. :class:`Ingest` is what the daemon starts.
"""

from .service import Ingest

__all__ = ["Ingest"]
