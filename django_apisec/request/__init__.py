"""What every layer knows about a request: its id and the client's address behind trusted
proxies."""
