"""Fitted pipelines as files under ``media_root/insight/models``, checked by SHA-256.

A pickle can run code when loaded, so a file is only ever loaded when its hash matches the
one recorded in the database row written when zhili itself saved it. Loaded models are kept
in memory per process (keyed by that hash): suggestions at intake must not reload them.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from pathlib import Path
from typing import Any

from zhili.core.errors import Conflict

FOLDER = "insight/models"
_CACHE_SIZE = 4
_cache: dict[str, Any] = {}
_lock = threading.Lock()


def save(media_root: str, name: str, pipeline: Any) -> tuple[str, str, int]:
    """Write the pipeline; returns (storage key, sha256, size in bytes)."""
    data = pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(data).hexdigest()
    key = f"{FOLDER}/{name}-{digest[:12]}.pkl"
    path = Path(media_root) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # never a half-written model under the real name
    return key, digest, len(data)


def load(media_root: str, key: str, sha256: str) -> Any:
    with _lock:
        if sha256 in _cache:
            return _cache[sha256]
    path = Path(media_root) / key
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Conflict(
            f"model file {key} is missing", "模型文件缺失，请重新训练", current_state="missing"
        ) from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Conflict(
            f"model file {key} does not match its recorded hash",
            "模型文件校验失败，已拒绝加载",
            current_state="tampered",
        )
    pipeline = pickle.loads(data)  # noqa: S301 - the hash above proves zhili wrote this file
    with _lock:
        while len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[sha256] = pipeline
    return pipeline


def forget() -> None:
    """Empty the in-memory cache (tests)."""
    with _lock:
        _cache.clear()
