"""Abuse controls: the rate limiter, throttles, the account lockout, trusted devices."""
