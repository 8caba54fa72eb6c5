"""Call detail records: one row per call, kept by the agent."""
