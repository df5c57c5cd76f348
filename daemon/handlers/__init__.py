"""RPC handlers, one module per noun. Importing this package binds them all."""

from . import rows, system, tables  # noqa: F401  (registration side effect)
from . import ingest, ingest_batch  # noqa: F401  (ingestion)
from . import proposals  # noqa: F401  (governance)
from . import coding_agent, events, self_healing, sub_agents  # noqa: F401  (subsystems, events)
from . import query  # noqa: F401
from . import query_sql  # noqa: F401  (query.sql, apart from the other query.* methods)
from . import alerts  # noqa: F401
