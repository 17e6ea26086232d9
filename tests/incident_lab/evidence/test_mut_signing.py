"""Signing, pinned (issue 14, mutation testing of evidence/signing.py): the signature file
format, every key error's message and hint, and the key-pair helper."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from incident_lab.errors import InputError, UsageError
from incident_lab.evidence import signing
from incident_lab.evidence.signing import (
    generate_keypair,
    load_private_key,
    load_public_key,
    sign,
    signature_ok,
)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("keys")
    generate_keypair(root / "k.pem", root / "k.pub")
    return root / "k.pem", root / "k.pub"


def _ec_pem(private: bool) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    if private:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_signature_file_is_one_base64_line_of_64_bytes(keys: tuple[Path, Path]) -> None:
    sig = sign(b"manifest", load_private_key(keys[0]))
    assert sig.endswith(b"\n") and sig.count(b"\n") == 1
    raw = base64.b64decode(sig.strip(), validate=True)
    assert len(raw) == 64
    assert base64.b64encode(raw) + b"\n" == sig
    # Ed25519 is deterministic: the same bytes give the same file.
    assert sign(b"manifest", load_private_key(keys[0])) == sig


def test_only_the_exact_form_verifies(keys: tuple[Path, Path]) -> None:
    pub = load_public_key(keys[1])
    sig = sign(b"m", load_private_key(keys[0]))
    assert signature_ok(b"m", sig, pub) is True
    assert signature_ok(b"m", sig.strip(), pub) is False  # no newline
    assert signature_ok(b"m", sig + b"\n", pub) is False
    assert signature_ok(b"m", b" " + sig, pub) is False
    assert signature_ok(b"m", sig.replace(b"\n", b"\r\n"), pub) is False
    assert signature_ok(b"m", b"@@@@\n", pub) is False  # not base64
    assert signature_ok(b"m", base64.b64encode(b"x" * 10) + b"\n", pub) is False  # short
    assert signature_ok(b"n", sig, pub) is False
    flipped = bytearray(base64.b64decode(sig.strip()))
    flipped[0] ^= 1
    assert signature_ok(b"m", base64.b64encode(bytes(flipped)) + b"\n", pub) is False


def test_the_private_key_pem_is_accepted_as_public_key(keys: tuple[Path, Path]) -> None:
    sig = sign(b"m", load_private_key(keys[0]))
    assert signature_ok(b"m", sig, load_public_key(keys[0]))


def test_missing_and_unreadable_key_files(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_private_key(tmp_path / "nope.pem")
    assert info.value.message == "signing key not found"
    assert info.value.path == str(tmp_path / "nope.pem")
    assert info.value.hint == "check the key path"
    with pytest.raises(InputError) as info2:
        load_public_key(tmp_path / "nope.pub")
    assert info2.value.message == "public key not found"
    assert info2.value.path == str(tmp_path / "nope.pub")
    with pytest.raises(InputError) as info3:
        load_private_key(tmp_path)  # a directory
    assert info3.value.message.startswith("cannot read signing key: ")
    assert info3.value.path == str(tmp_path) and info3.value.hint is None
    with pytest.raises(InputError) as info4:
        load_public_key(tmp_path)
    assert info4.value.message.startswith("cannot read public key: ")


def test_private_key_refusals(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    encrypted = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pw"),
    )
    (tmp_path / "enc.pem").write_bytes(encrypted)
    with pytest.raises(UsageError) as info:
        load_private_key(tmp_path / "enc.pem")
    assert info.value.message == "signing key is encrypted; use an unencrypted PEM key"
    assert info.value.hint == "openssl pkey -in KEY -out plain.pem"
    (tmp_path / "junk.pem").write_bytes(b"not a key\n")
    with pytest.raises(UsageError) as info2:
        load_private_key(tmp_path / "junk.pem")
    assert info2.value.message == f"{tmp_path / 'junk.pem'}: not a PEM private key"
    assert info2.value.hint == "make one with: openssl genpkey -algorithm ed25519 -out key.pem"
    (tmp_path / "ec.pem").write_bytes(_ec_pem(private=True))
    with pytest.raises(UsageError) as info3:
        load_private_key(tmp_path / "ec.pem")
    assert info3.value.message == f"{tmp_path / 'ec.pem'}: signing key is not Ed25519"
    assert info3.value.hint == "openssl genpkey -algorithm ed25519"


def test_public_key_refusals(tmp_path: Path) -> None:
    (tmp_path / "junk.pub").write_bytes(b"-----BEGIN PUBLIC KEY-----\nAAAA\n")
    with pytest.raises(UsageError) as info:
        load_public_key(tmp_path / "junk.pub")
    assert info.value.message == f"{tmp_path / 'junk.pub'}: not a PEM public key"
    assert info.value.hint == "openssl pkey -in key.pem -pubout -out key.pub.pem"
    (tmp_path / "ec.pub").write_bytes(_ec_pem(private=False))
    with pytest.raises(UsageError) as info2:
        load_public_key(tmp_path / "ec.pub")
    assert info2.value.message == f"{tmp_path / 'ec.pub'}: public key is not Ed25519"
    assert info2.value.hint is None
    (tmp_path / "ec.pem").write_bytes(_ec_pem(private=True))
    with pytest.raises(UsageError, match=r"public key is not Ed25519$"):
        load_public_key(tmp_path / "ec.pem")


def test_generate_keypair_writes_pkcs8_and_spki_and_never_overwrites(tmp_path: Path) -> None:
    generate_keypair(tmp_path / "a.pem", tmp_path / "a.pub")
    assert (tmp_path / "a.pem").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert (tmp_path / "a.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----\n")
    assert (tmp_path / "a.pem").stat().st_mode & 0o777 == 0o600
    (tmp_path / "b.pub").write_bytes(b"keep")
    with pytest.raises(UsageError) as info:
        generate_keypair(tmp_path / "b.pem", tmp_path / "b.pub")
    assert info.value.message == f"{tmp_path / 'b.pub'} already exists; not overwriting a key"
    assert not (tmp_path / "b.pem").exists() and (tmp_path / "b.pub").read_bytes() == b"keep"
    # Two pairs are different keys.
    generate_keypair(tmp_path / "c.pem", tmp_path / "c.pub")
    assert (tmp_path / "c.pub").read_bytes() != (tmp_path / "a.pub").read_bytes()
    sig = sign(b"m", load_private_key(tmp_path / "c.pem"))
    assert not signature_ok(b"m", sig, load_public_key(tmp_path / "a.pub"))


def test_module_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m incident_lab.evidence.signing PRIVATE PUBLIC`` (called in-process)."""
    assert signing._main([]) == 3
    assert capsys.readouterr().err == (
        "usage: python -m incident_lab.evidence.signing PRIVATE.pem PUBLIC.pem\n"
    )
    assert signing._main(["a"]) == 3
    priv, pub = str(tmp_path / "k.pem"), str(tmp_path / "k.pub")
    assert signing._main([priv, pub]) == 0
    out = capsys.readouterr()
    assert out.out == f"wrote {priv} (keep it secret) and {pub} (share it with verifiers)\n"
    assert signing._main([priv, pub]) == 3
    err = capsys.readouterr().err
    assert err.startswith(f"error: {priv} already exists; not overwriting a key")
