"""Where attachment bytes live, behind one small interface (local disk now; object storage
later implements the same two methods)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

# Accepted types, recognised by their first bytes: a file's name and declared type are
# whatever the client says, its magic number is what it is.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def sniff(data: bytes) -> str | None:
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


class Storage(Protocol):
    def save(self, data: bytes) -> str: ...

    def read(self, key: str) -> bytes: ...


class LocalStorage:
    """Content-addressed files under ``root`` (same bytes, same key: retries store nothing new)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def save(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}"
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)  # atomic: a reader never sees half a file
        return key

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()
