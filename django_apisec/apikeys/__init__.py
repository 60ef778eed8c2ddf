"""API keys for machine clients: hashed, shown once, scoped, expiring, IP-bound, throttled per key.

A request authenticated by a key acts as the key's owner, so every ownership rule applies
unchanged; views declare the scope each method needs (:mod:`django_apisec.apikeys.scopes`).
"""
