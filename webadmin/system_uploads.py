"""Backups and firmware bundles sent from the browser or over the API.

Both are large: a backup carries the voicemail and recordings, a bundle a
whole root file system. The request's body is spooled to disk by bottle as
it arrives (never held in memory) and the file is copied from there into
the data directory in steps, counting, so a body that lied about its size
is still cut at the limit. bottle spools under the temporary directory,
which the agent points at the data partition for each web daemon
(``TMPDIR``, agent/web/daemons.py): the image's /tmp is a 64 MB tmpfs.
"""

from __future__ import annotations

import os
from pathlib import Path

import bottle

from agent.errors import InvalidInput
from webadmin import bodies

#: A backup holds the databases, prompts, voicemail and recordings; an
#: office's year of recordings at G.711 (about 1 MB a minute) stays below
#: this, and a box's data partition holds the upload and its unpacked copy.
BACKUP_UPLOAD_MAX = 2 * 1024**3
#: A bundle is one slot's root image: the slots of the production image are
#: 512 MiB (buildroot-config/board/edgepbx/rpi/genimage.cfg), and a bundle's
#: manifest and signature are a few hundred bytes more.
BUNDLE_UPLOAD_MAX = 512 * 1024**2 + 64 * 1024
# The multipart form around the file: its boundaries and short fields.
FORM_OVERHEAD_BYTES = 16 * 1024
COPY_STEP_BYTES = 1024 * 1024

RESTORE_UPLOAD = "/system/restore"
FIRMWARE_UPLOAD = "/system/firmware"
API_RESTORE_UPLOAD = "/api/v1/backups/restore"
API_FIRMWARE_UPLOAD = "/api/v1/firmware/bundles"

for _route, _largest in (
    (RESTORE_UPLOAD, BACKUP_UPLOAD_MAX),
    (API_RESTORE_UPLOAD, BACKUP_UPLOAD_MAX),
    (FIRMWARE_UPLOAD, BUNDLE_UPLOAD_MAX),
    (API_FIRMWARE_UPLOAD, BUNDLE_UPLOAD_MAX),
):
    bodies.LARGE_BODY_ROUTES[_route] = _largest + FORM_OVERHEAD_BYTES


def save(field: str, target: Path, largest: int) -> Path:
    """The form's file ``field`` copied to ``target``; refused, naming the
    field, when missing or larger than ``largest`` (nothing is left)."""
    bodies.check_upload(field)
    upload = bottle.request.files.get(field)
    if upload is None or not upload.filename:
        raise InvalidInput(field, None, "choose a file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    written = 0
    try:
        with open(partial, "wb") as out:
            while chunk := upload.file.read(COPY_STEP_BYTES):
                written += len(chunk)
                if written > largest:
                    raise bodies.UploadTooLarge(
                        field,
                        None,
                        f"at most {bodies.limit_text(largest)}; nothing was changed",
                    )
                out.write(chunk)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
