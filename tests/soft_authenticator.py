"""A software WebAuthn authenticator for the tests: what a browser and a passkey would send.

It answers registration and authentication options (the JSON the views return) with the JSON a
browser's ``PublicKeyCredential.toJSON()`` gives: attestation format ``none``, an ES256 key, a
signature counter. Each knob an attacker controls is a parameter: the origin the "browser"
reports, the relying-party id the authenticator signs for, the counter, user verification.
The browser tests (tests/browser) do the same with Chromium's virtual authenticator.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftAuthenticator:
    """One passkey on one authenticator, for ``rp_id``, used from pages at ``origin``."""

    rp_id: str
    origin: str
    sign_count: int = 0
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))

    @property
    def id(self) -> str:
        return b64url(self.credential_id)

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, options: dict[str, Any], origin: str | None) -> bytes:
        body = {"type": kind, "challenge": options["challenge"], "origin": origin or self.origin}
        return json.dumps({**body, "crossOrigin": False}).encode()

    def _auth_data(
        self, rp_id: str | None, flags: int, counter: int, attested: bytes = b""
    ) -> bytes:
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", counter) + attested

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """The answer of ``navigator.credentials.create({publicKey: options})``."""
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
        auth_data = self._auth_data(
            None, UP | UV | AT, self.sign_count, attested + self._cose_key()
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options, origin)
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        counter: int | None = None,
        user_verified: bool = True,
    ) -> dict[str, Any]:
        """The answer of ``navigator.credentials.get({publicKey: options})``; counts a use."""
        if counter is None:
            self.sign_count += 1
            counter = self.sign_count
        flags = UP | (UV if user_verified else 0)
        auth_data = self._auth_data(rp_id, flags, counter)
        client_data = self._client_data("webauthn.get", options, origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": None,
            },
            "clientExtensionResults": {},
        }
