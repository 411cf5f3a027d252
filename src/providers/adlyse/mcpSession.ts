// STUB: the MCP session (official SDK client), bundled apart as dist/mcp.js and loaded lazily.
export const placeholder = true;
