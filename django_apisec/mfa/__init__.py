"""Second factors: TOTP with single-use codes, hashed single-use recovery codes, MFA challenges.

This package sits below :mod:`django_apisec.jwt`: the JWT login and step-up views call into it
(:mod:`django_apisec.mfa.factors`), and it never imports them. Every "use once" rule is one
conditional ``UPDATE`` or ``DELETE`` in the database, so concurrent requests cannot both win.
"""
