"""The internal web frontend under /app (see views.py)."""
