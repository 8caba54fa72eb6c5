"""Call queues: callers wait with music until an agent answers."""
