"""Planned execution of hot reads: a validated query whose every field says how it is read (its
metadata, next to the field: `fields.py`) is answered by a few SQL statements over plain rows and a
response built directly from them (`plan.py`), inside strawberry's execution (`extension.py`), so
that error masking, HTTP status rules and outage handling stay one. Anything the planner cannot
answer exactly as the resolvers would is left to them: the two paths answer identically
(tests/planner)."""
