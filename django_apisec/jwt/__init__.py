"""JWT sessions: tokens, token families, revocation, authentication, the auth views."""
