"""Security events, log redaction and the JSON-lines log format."""
