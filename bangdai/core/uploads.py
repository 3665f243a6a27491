"""Evidence files (photos and documents) checked before anything is stored.

Images are decoded with Pillow under a pixel limit and re-encoded, which drops EXIF (device, time, GPS) and any
payload appended to the file; orientation from EXIF is applied first so the photo still stands the right way.
Documents are accepted only as PDF, sniffed by content, not by name. Anything else is refused with a message the
uploader can act on. Nothing here writes: callers store ``CleanFile.content`` with the record it belongs to.
"""

import io
import os
import threading
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; more is a decompression bomb, not a phone picture
MAX_EDGE = 2560  # stored photos are scaled down to this longest edge
# WeasyPrint turns on Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported; uploads must see truncation.
_STRICT_DECODING = threading.Lock()
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/jpeg", "GIF": "image/png"}


@dataclass(frozen=True)
class CleanFile:
    name: str  # a safe file name with the extension of the stored format
    content: bytes
    content_type: str
    kind: str  # "image" or "document"
    width: int | None = None
    height: int | None = None


def _size(file) -> int:
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _stem(name: str) -> str:
    stem = os.path.splitext(os.path.basename(name or ""))[0].strip()
    return "".join(c for c in stem if c.isalnum() or c in "-_ （）()")[:60] or "file"


def clean_upload(file, name: str = "") -> CleanFile:
    """Check one uploaded file and return what may be stored; raises ValidationError with the reason."""
    name = name or getattr(file, "name", "") or "file"
    size = _size(file)
    if size == 0:
        raise ValidationError(_("The file %(name)s is empty.") % {"name": name})
    head = file.read(8)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        if size > MAX_DOCUMENT_BYTES:
            raise ValidationError(
                _("%(name)s is larger than %(limit)d MB.") % {"name": name, "limit": MAX_DOCUMENT_BYTES >> 20}
            )
        return CleanFile(f"{_stem(name)}.pdf", file.read(), "application/pdf", "document")
    if size > MAX_IMAGE_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.") % {"name": name, "limit": MAX_IMAGE_BYTES >> 20}
        )
    return _clean_image(file, name)


def _load_strictly(image) -> None:
    with _STRICT_DECODING:
        lenient = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            image.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _clean_image(file, name: str) -> CleanFile:
    refused = _("%(name)s is not a photo (JPEG, PNG, WebP) or a PDF document.") % {"name": name}
    try:
        with Image.open(file) as probe:
            kind = probe.format
            if kind not in IMAGE_FORMATS:
                raise ValidationError(refused)
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("%(name)s has too many pixels.") % {"name": name})
            try:
                _load_strictly(probe)  # decodes the whole image: a truncated or corrupt file fails here
            except (OSError, ValueError, SyntaxError):
                raise ValidationError(
                    _("%(name)s is damaged: the picture cannot be decoded.") % {"name": name}
                ) from None
            image = ImageOps.exif_transpose(probe)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise ValidationError(refused) from None
    image.thumbnail((MAX_EDGE, MAX_EDGE))
    out = io.BytesIO()
    if IMAGE_FORMATS[kind] == "image/jpeg":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
        ext = "jpg"
    else:
        has_alpha = image.mode in ("RGBA", "LA", "P")
        image.convert("RGBA" if has_alpha else "RGB").save(out, "PNG", optimize=True)
        ext = "png"
    return CleanFile(
        f"{_stem(name)}.{ext}", out.getvalue(), IMAGE_FORMATS[kind], "image", image.width, image.height
    )
