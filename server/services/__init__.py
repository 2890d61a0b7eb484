"""Domain services: functions taking a session and plain arguments; the caller commits."""
