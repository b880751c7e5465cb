"""MCP servers as the tools of agent runs (docs/agent-tools.md): their configuration, a pool of live
connections per node, and the choice of what one job's runs are offered."""
