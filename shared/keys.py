"""Ed25519 key pairs behind every token the platform signs: loading them from settings,
naming them (``kid``), publishing the public halves as a JWKS, and the development keys
that let `score up` run on a fresh clone with no configuration.

One private key signs; any number of public keys verify, so a key is rotated by adding
its successor's public half everywhere first and retiring the old one last.
"""

import base64
import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

# Pinned: a verifier never lets a token choose its algorithm.
ALGORITHM = "EdDSA"


class InvalidKey(ValueError):
    """A key or key set in the configuration cannot be used (the message says why)."""


def key_id(public: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint: every process derives the same ``kid`` from the key
    itself, so no id has to be configured (or can be configured wrongly)."""
    x = OKPAlgorithm.to_jwk(public, as_dict=True)["x"]
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def public_jwk(public: Ed25519PublicKey) -> dict[str, str]:
    jwk: dict[str, str] = OKPAlgorithm.to_jwk(public, as_dict=True)
    return {**jwk, "kid": key_id(public), "alg": ALGORITHM, "use": "sig"}


def jwks_document(keys: Iterable[Ed25519PublicKey]) -> dict[str, list[dict[str, str]]]:
    """A JWKS (RFC 7517) of the public keys, each once."""
    unique = {key_id(key): key for key in keys}
    return {"keys": [public_jwk(key) for key in unique.values()]}


def load_private_key(text: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8) or a private JWK (JSON on one line, easier
    to pass in an environment variable)."""
    stripped = text.strip()
    try:
        if stripped.startswith("{"):
            loaded: Any = OKPAlgorithm.from_jwk(stripped)
        else:
            loaded = serialization.load_pem_private_key(stripped.encode(), password=None)
    except (ValueError, TypeError, jwt.PyJWTError) as exc:
        raise InvalidKey(f"not an Ed25519 private key in PEM or JWK form ({exc})") from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise InvalidKey("the key must be an Ed25519 private key (algorithm EdDSA)")
    return loaded


def load_public_keys(text: str) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 public keys of a JWKS (``{"keys": [...]}``) by their thumbprint ``kid``.

    A ``kid`` given in the document must be the thumbprint: a key set that names a key
    wrongly is refused rather than half-trusted.
    """
    try:
        document = json.loads(text)
        members = document["keys"] if isinstance(document, Mapping) else None
        if not isinstance(members, list) or not members:
            raise InvalidKey('a JWKS needs a non-empty "keys" list')
        keys: dict[str, Ed25519PublicKey] = {}
        for member in members:
            if not isinstance(member, Mapping) or member.get("kty") != "OKP":
                raise InvalidKey("every key must be an Ed25519 (OKP) public key")
            if "d" in member:
                # Whoever reads this configuration could sign with it: refuse, loudly.
                raise InvalidKey("a key holds its private part ('d'): list public keys only")
            public = OKPAlgorithm.from_jwk(
                {name: member[name] for name in ("kty", "crv", "x") if name in member}
            )
            if not isinstance(public, Ed25519PublicKey):
                raise InvalidKey("every key must be an Ed25519 public key")
            kid = key_id(public)
            if member.get("kid", kid) != kid:
                raise InvalidKey(f"kid {member['kid']!r} is not the key's thumbprint ({kid})")
            keys[kid] = public
        return keys
    except (ValueError, TypeError, KeyError, jwt.PyJWTError) as exc:
        if isinstance(exc, InvalidKey):
            raise
        raise InvalidKey(f"not a JWKS of Ed25519 public keys ({exc})") from exc


def private_key_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass(frozen=True)
class SigningKey:
    """A private key with the ``kid`` its tokens carry."""

    private: Ed25519PrivateKey
    kid: str

    @classmethod
    def of(cls, private: Ed25519PrivateKey) -> "SigningKey":
        return cls(private=private, kid=key_id(private.public_key()))

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm=ALGORITHM, headers={"kid": self.kid})


def development_key(data_dir: Path, name: str) -> Ed25519PrivateKey:
    """The development key ``name`` under ``data_dir/keys``, made on first use.

    Processes started together race to make it; the first to link its file wins and the
    others read that one, so every process of one data folder agrees on the key.
    """
    path = data_dir / "keys" / f"{name}.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.")  # 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(private_key_pem(Ed25519PrivateKey.generate()))
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    return load_private_key(path.read_text())
