"""Response hardening and errors: the API middleware, body and JSON limits, the error
vocabulary, pagination."""
