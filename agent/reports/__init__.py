"""Call reports: figures over the call records, files, charts and schedules."""
