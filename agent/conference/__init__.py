"""Conference rooms: callers who dial a room's number hear each other."""
