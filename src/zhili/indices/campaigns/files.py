"""Files attached to a campaign (photos of check items, evidence): checked, then stored
through the same storage interface as case attachments."""

from __future__ import annotations

from zhili.cases.storage import Storage, sniff
from zhili.core.config import Settings
from zhili.core.errors import ValidationFailed


def stored_file(settings: Settings, storage: Storage, data: bytes) -> tuple[str, str]:
    if not data:
        raise ValidationFailed("file", "the file is empty", "文件为空")
    if len(data) > settings.max_attachment_bytes:
        raise ValidationFailed("file", "file too large", "文件超过大小上限")
    content_type = sniff(data)
    if content_type is None:
        raise ValidationFailed(
            "file", "only JPEG, PNG, GIF, WebP, PDF or MP4", "仅支持 JPEG、PNG、GIF、WebP、PDF、MP4"
        )
    return storage.save(data), content_type
