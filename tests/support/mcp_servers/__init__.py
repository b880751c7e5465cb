"""MCP servers written for the tests with the `mcp` SDK, which record every call they are asked."""
