"""ID numbers at rest: encrypted, with a keyed blind index for exact lookups.

A resident's ID number is stored three times, none of them in clear:

- ``id_cipher``: AES-256-GCM of the number (random 96-bit nonce + ciphertext + tag), opened
  only for a logged unmasked read or export;
- ``id_index``: HMAC-SHA256 of ``type|number`` truncated to 128 bits, hex; unique and indexed,
  so "find by ID number" and the import's upsert are one B-tree lookup;
- ``id_masked``: the display form (``5301**********1234``), so lists never decrypt anything.

A plain hash would not do: an ID number has so little entropy (region, birth date and
sequence are guessable) that a stolen table of SHA-256 digests is reversed in seconds. The HMAC
key lives outside the database, so a dump alone reveals nothing (docs/decisions/0004).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from zhili.core.config import Settings

_NONCE = 12
INDEX_HEX = 32  # 128 bits: no collision among billions of IDs


class Vault:
    """Seals and opens ID numbers and computes their blind index with two derived keys."""

    def __init__(self, master: bytes) -> None:
        # Separate keys per purpose, so the index key can never decrypt and vice versa.
        self._index_key = hmac.digest(master, b"zhili/basedata/id-index/v1", "sha256")
        self._aead = AESGCM(hmac.digest(master, b"zhili/basedata/id-cipher/v1", "sha256"))

    def index(self, id_type: str, number: str) -> str:
        msg = f"{id_type}|{number}".encode()
        return hmac.digest(self._index_key, msg, "sha256").hex()[:INDEX_HEX]

    def index_many(self, id_type: str, numbers: Sequence[str]) -> list[str]:
        """``index`` of many numbers of one type: the HMAC keyed and fed ``type|`` once,
        then copied per number (two fifths less than a fresh HMAC each; an import indexes
        a million numbers)."""
        copy = hmac.new(self._index_key, f"{id_type}|".encode(), "sha256").copy
        out = []
        for number in numbers:
            mac = copy()
            mac.update(number.encode())
            out.append(mac.hexdigest()[:INDEX_HEX])
        return out

    def seal(self, number: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, number.encode(), b"zhili-id")

    def seal_many(self, numbers: Sequence[str]) -> list[bytes]:
        """``seal`` of many numbers, each with its own fresh random nonce (drawn at once)."""
        nonces = os.urandom(_NONCE * len(numbers))
        encrypt = self._aead.encrypt
        out = []
        for start, number in zip(range(0, len(nonces), _NONCE), numbers, strict=True):
            nonce = nonces[start : start + _NONCE]
            out.append(nonce + encrypt(nonce, number.encode(), b"zhili-id"))
        return out

    def open(self, blob: bytes) -> str:
        return self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], b"zhili-id").decode()


def master_key(settings: Settings) -> bytes:
    source = settings.personal_data_key or f"derived-from-secret:{settings.secret_key}"
    return hashlib.sha256(source.encode()).digest()


@lru_cache(maxsize=8)
def _vault_for(master: bytes) -> Vault:
    return Vault(master)


def vault_for(settings: Settings) -> Vault:
    """The vault of an installation (one per key, built once per process)."""
    return _vault_for(master_key(settings))
