"""The unit's HPKE key pairs: suites, files on disk, rotation.

A key pair is two files with the same key id:
- ``<public dir>/<key id>.pub``: JSON with the suite, creation time and public key. The portal
  reads only these.
- ``<private dir>/<key id>.key``: the same plus the private key, mode 0600. Only triage reads
  these, and it keeps every one it finds "live" for opening, so rotation never strands an
  envelope sealed to an older key.

The portal always seals to the newest public key (latest ``created_at``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

_MLKEM768_PUBLIC_LEN = 1184
_MLKEM_SEED_LEN = 64
_X25519_LEN = 32


class KeyProblem(Exception):
    """Base for problems with the unit's keys."""


class KeyFileInvalid(KeyProblem):
    """A key file exists but cannot be read as a Tipline key."""


class NoPublicKey(KeyProblem):
    """There is no public key to seal to: the portal must not accept reports nobody can read."""


class SuiteId(IntEnum):
    """Envelope suite identifiers (one byte in the envelope header)."""

    MLKEM768_X25519 = 1  # post-quantum hybrid KEM, HKDF-SHA256, AES-256-GCM (default)
    X25519 = 2  # classic KEM, HKDF-SHA256, AES-256-GCM

    @property
    def label(self) -> str:
        return {SuiteId.MLKEM768_X25519: "mlkem768-x25519", SuiteId.X25519: "x25519"}[self]

    @classmethod
    def from_label(cls, label: str) -> SuiteId:
        for suite in cls:
            if suite.label == label:
                return suite
        raise KeyFileInvalid(f"unknown suite {label!r}; expected mlkem768-x25519 or x25519")

    def hpke_suite(self) -> hpke.Suite:
        kem = hpke.KEM.MLKEM768_X25519 if self is SuiteId.MLKEM768_X25519 else hpke.KEM.X25519
        return hpke.Suite(kem, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    suite: SuiteId
    created_at: datetime
    raw: bytes

    def hpke_key(self) -> object:
        if self.suite is SuiteId.MLKEM768_X25519:
            if len(self.raw) != _MLKEM768_PUBLIC_LEN + _X25519_LEN:
                raise KeyFileInvalid(f"public key {self.key_id} has the wrong length")
            return hpke.MLKEM768X25519PublicKey(
                mlkem.MLKEM768PublicKey.from_public_bytes(self.raw[:_MLKEM768_PUBLIC_LEN]),
                x25519.X25519PublicKey.from_public_bytes(self.raw[_MLKEM768_PUBLIC_LEN:]),
            )
        return x25519.X25519PublicKey.from_public_bytes(self.raw)

    def to_json(self) -> dict[str, str]:
        return {
            "key_id": self.key_id,
            "suite": self.suite.label,
            "created_at": self.created_at.isoformat(),
            "public": base64.b64encode(self.raw).decode(),
        }


@dataclass(frozen=True)
class PrivateKey:
    public: PublicKey
    raw: bytes

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def hpke_key(self) -> object:
        if self.public.suite is SuiteId.MLKEM768_X25519:
            return hpke.MLKEM768X25519PrivateKey(
                mlkem.MLKEM768PrivateKey.from_seed_bytes(self.raw[:_MLKEM_SEED_LEN]),
                x25519.X25519PrivateKey.from_private_bytes(self.raw[_MLKEM_SEED_LEN:]),
            )
        return x25519.X25519PrivateKey.from_private_bytes(self.raw)


def key_id_for(suite: SuiteId, public_raw: bytes) -> str:
    """Stable, short identifier of a public key: suite label + 16 hex of its SHA-256."""
    digest = hashlib.sha256(bytes([suite]) + public_raw).hexdigest()[:16]
    return f"{suite.label}-{digest}"


def generate(suite: SuiteId = SuiteId.MLKEM768_X25519, now: datetime | None = None) -> PrivateKey:
    created = now or datetime.now(UTC)
    if suite is SuiteId.MLKEM768_X25519:
        seed = os.urandom(_MLKEM_SEED_LEN)
        mk = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed)
        xk = x25519.X25519PrivateKey.generate()
        public_raw = mk.public_key().public_bytes_raw() + xk.public_key().public_bytes_raw()
        private_raw = seed + xk.private_bytes_raw()
    else:
        xk = x25519.X25519PrivateKey.generate()
        public_raw = xk.public_key().public_bytes_raw()
        private_raw = xk.private_bytes_raw()
    public = PublicKey(key_id_for(suite, public_raw), suite, created, public_raw)
    return PrivateKey(public, private_raw)


def x25519_public_key(raw: bytes) -> PublicKey:
    """A classic-suite public key from raw bytes (used for keys derived from receipt codes)."""
    return PublicKey(
        key_id_for(SuiteId.X25519, raw), SuiteId.X25519, datetime.fromtimestamp(0, UTC), raw
    )


def x25519_private_key(raw: bytes) -> PrivateKey:
    """A classic-suite private key from its 32 raw bytes."""
    pub = x25519.X25519PrivateKey.from_private_bytes(raw).public_key().public_bytes_raw()
    return PrivateKey(x25519_public_key(pub), raw)


def _write_private_file(path: Path, payload: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2)


def save(key: PrivateKey, public_dir: Path, private_dir: Path) -> None:
    """Write the pair; refuses to overwrite an existing key file."""
    private_payload = key.public.to_json() | {"private": base64.b64encode(key.raw).decode()}
    _write_private_file(private_dir / f"{key.key_id}.key", private_payload)
    public_dir.mkdir(parents=True, exist_ok=True)
    pub_path = public_dir / f"{key.key_id}.pub"
    with open(pub_path, "x") as handle:
        json.dump(key.public.to_json(), handle, indent=2)


def _parse_public(data: dict[str, str], source: Path) -> PublicKey:
    try:
        suite = SuiteId.from_label(data["suite"])
        raw = base64.b64decode(data["public"], validate=True)
        created = datetime.fromisoformat(data["created_at"])
        key_id = data["key_id"]
    except (KeyError, ValueError, TypeError) as exc:
        raise KeyFileInvalid(
            f"{source}: not a Tipline key file ({exc.__class__.__name__})"
        ) from None
    if key_id != key_id_for(suite, raw):
        raise KeyFileInvalid(f"{source}: key id does not match the key")
    return PublicKey(key_id, suite, created, raw)


def _read_json(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyFileInvalid(f"{path}: cannot read ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise KeyFileInvalid(f"{path}: not a Tipline key file")
    return data


def load_public_keys(public_dir: Path) -> list[PublicKey]:
    """All public keys in ``public_dir``, oldest first."""
    if not public_dir.is_dir():
        return []
    keys = [_parse_public(_read_json(p), p) for p in sorted(public_dir.glob("*.pub"))]
    return sorted(keys, key=lambda k: (k.created_at, k.key_id))


def newest_public_key(public_dir: Path) -> PublicKey:
    keys = load_public_keys(public_dir)
    if not keys:
        raise NoPublicKey(f"no unit public key in {public_dir}; run `tipline keys generate`")
    return keys[-1]


def load_private_keys(private_dir: Path) -> dict[str, PrivateKey]:
    """Every private key in ``private_dir`` by key id: all of them stay live for opening."""
    found: dict[str, PrivateKey] = {}
    if not private_dir.is_dir():
        return found
    for path in sorted(private_dir.glob("*.key")):
        data = _read_json(path)
        public = _parse_public(data, path)
        try:
            raw = base64.b64decode(data["private"], validate=True)
        except (KeyError, ValueError) as exc:
            raise KeyFileInvalid(f"{path}: bad private key ({exc.__class__.__name__})") from None
        key = PrivateKey(public, raw)
        # Prove the private half matches the public half before trusting the file.
        probe = key.public.suite.hpke_suite()
        try:
            probe.decrypt(probe.encrypt(b"probe", public.hpke_key()), key.hpke_key())
        except Exception:
            raise KeyFileInvalid(f"{path}: private key does not match its public key") from None
        found[key.key_id] = key
    return found
