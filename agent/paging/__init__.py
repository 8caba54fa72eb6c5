"""Page groups: one caller heard at once on every member's phone."""
