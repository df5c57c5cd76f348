"""The JSON-RPC 2.0 server over a Unix socket, and the handler router."""
