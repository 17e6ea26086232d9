"""Ed25519 signatures over ``manifest.json`` (``snapshot --sign-key``, ``verify --pubkey``).

Keys are PEM files. Make a key pair with OpenSSL::

    openssl genpkey -algorithm ed25519 -out incident-signing.pem
    openssl pkey -in incident-signing.pem -pubout -out incident-signing.pub.pem

or without OpenSSL::

    python -m incident_lab.evidence.signing incident-signing.pem incident-signing.pub.pem

``manifest.sig`` holds the base64 of the 64-byte signature over the exact bytes of
``manifest.json``, on one line.
"""

from __future__ import annotations

import base64
import binascii
import os
import sys
from pathlib import Path

from incident_lab.errors import InputError, UsageError


def _read_key_file(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} not found", path=str(path), hint="check the key path") from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", path=str(path)) from None


def load_private_key(path: str | Path) -> object:
    """Load an unencrypted Ed25519 private key from a PEM file.

    Raises:
        InputError: the file is missing or unreadable.
        UsageError: it is not an unencrypted Ed25519 private key in PEM.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    data = _read_key_file(path, "signing key")
    try:
        key = load_pem_private_key(data, password=None)
    except TypeError:
        raise UsageError(
            "signing key is encrypted; use an unencrypted PEM key",
            hint="openssl pkey -in KEY -out plain.pem",
        ) from None
    except ValueError:
        raise UsageError(
            f"{path}: not a PEM private key",
            hint="make one with: openssl genpkey -algorithm ed25519 -out key.pem",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(
            f"{path}: signing key is not Ed25519", hint="openssl genpkey -algorithm ed25519"
        )
    return key


def load_public_key(path: str | Path) -> object:
    """Load an Ed25519 public key from PEM (a private key PEM is accepted too).

    Raises:
        InputError: the file is missing or unreadable.
        UsageError: it holds no Ed25519 key.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )
    from cryptography.hazmat.primitives.serialization import (
        load_pem_private_key,
        load_pem_public_key,
    )

    data = _read_key_file(path, "public key")
    key: object
    try:
        key = load_pem_public_key(data)
    except ValueError:
        try:
            key = load_pem_private_key(data, password=None)
        except (TypeError, ValueError):
            raise UsageError(
                f"{path}: not a PEM public key",
                hint="openssl pkey -in key.pem -pubout -out key.pub.pem",
            ) from None
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path}: public key is not Ed25519")
    return key


def sign(data: bytes, private_key: object) -> bytes:
    """Return the ``manifest.sig`` content for ``data`` (base64 line)."""
    signature: bytes = private_key.sign(data)  # type: ignore[attr-defined]
    return base64.b64encode(signature) + b"\n"


def signature_ok(data: bytes, sig_file: bytes, public_key: object) -> bool:
    """True when ``sig_file`` (``manifest.sig`` content) is a valid signature of ``data``."""
    from cryptography.exceptions import InvalidSignature

    try:
        signature = base64.b64decode(sig_file.strip(), validate=True)
        if base64.b64encode(signature) + b"\n" != sig_file:
            return False  # only the exact form snapshot writes counts
        public_key.verify(signature, data)  # type: ignore[attr-defined]
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def generate_keypair(private_path: str | Path, public_path: str | Path) -> None:
    """Write a new Ed25519 key pair as PEM (private key mode 0600); never overwrites.

    Raises:
        UsageError: either file already exists.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    for p in (private_path, public_path):
        if Path(p).exists():
            raise UsageError(f"{p} already exists; not overwriting a key")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem)
    Path(public_path).write_bytes(public_pem)


def _main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(
            "usage: python -m incident_lab.evidence.signing PRIVATE.pem PUBLIC.pem", file=sys.stderr
        )
        return 3
    try:
        generate_keypair(argv[0], argv[1])
    except UsageError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return exc.exit_code
    print(f"wrote {argv[0]} (keep it secret) and {argv[1]} (share it with verifiers)")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
