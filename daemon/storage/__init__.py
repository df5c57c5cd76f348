"""Storage: the database from a URL, models built from the catalog, one writer path."""

from .database import open_database, backend_name, mask_url
from .models import build_models
from .store import Store

__all__ = ["Store", "backend_name", "build_models", "mask_url", "open_database"]
