"""Thumbnails of image scans: a small JPEG (at most THUMBNAIL_SIZE px a side) turned upright as the camera's
EXIF orientation says, with no metadata. Decoding is bounded: an image of more than MAX_IMAGE_PIXELS pixels
(a decompression bomb, or a camera far beyond any document's need) is refused before it is decoded.

A file the sniffing took for an image but Pillow cannot decode is refused (`Invalid` under `file`).
"""

import io
import logging
import warnings

from PIL import Image, ImageOps

from engine.attachments.checks import JPEG, PNG, refuse
from engine.core.errors import Invalid

THUMBNAIL_SIZE = 320
THUMBNAIL_TYPE = JPEG
MAX_IMAGE_PIXELS = 64_000_000
"""About 64 megapixels: more than a phone camera's photo of a document needs, far less than a bomb's."""
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS  # Pillow warns above this and refuses above twice this

FORMATS = {JPEG: "JPEG", PNG: "PNG"}
IMAGE_UNREADABLE = "图片无法读取（文件已损坏或格式不正确）"
IMAGE_TOO_LARGE = f"图片像素过多（超过 {MAX_IMAGE_PIXELS // 1_000_000} 百万像素），请降低分辨率后重新上传"

log = logging.getLogger("yibao.attachments")


def thumbnail(data: bytes, content_type: str) -> bytes:
    """The JPEG thumbnail of an image scan of `content_type` (JPEG or PNG)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[FORMATS[content_type]]) as image:
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    raise refuse(IMAGE_TOO_LARGE)
                image.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))  # JPEG decodes at a fraction
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
                small = _on_white(upright)
                out = io.BytesIO()
                small.save(out, "JPEG", quality=80, optimize=True)
                return out.getvalue()
    except Invalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refuse(IMAGE_TOO_LARGE) from None
    except Exception as exc:  # a truncated or malformed image raises many kinds: each is the same refusal
        log.info("unreadable image refused: %s: %s", type(exc).__name__, exc)
        raise refuse(IMAGE_UNREADABLE) from None


def _on_white(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency laid on white, palettes and grey levels converted."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
