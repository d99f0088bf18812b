"""Reporting fixtures: its migrated database, the real app over ASGI, and its read models
filled from the real enrolment and indicators apps' event feeds."""
