"""RPC handlers, one module per noun. Importing this package binds them all."""

from . import rows, system, tables  # noqa: F401  (registration side effect)
