"""Integration tests: the testproject in production, against the real PostgreSQL and Redis."""
