"""The shared-state store (``APISEC_CACHE``): the one owner of Redis and cache access.

The limiter, the account lockout and the revocation markers keep their state here, through
:func:`~django_apisec.store.backends.current_store` and
:func:`~django_apisec.store.failures.attempt`; nothing else in the package touches a cache
backend, a redis client or a Lua script runner.
"""
