"""How a workflow state is kept in `case_instance.state`: a zstandard frame of its JSON.

Measured on a concluded 门诊费用报销 case (29.8 KB of JSON): zstandard level 3 keeps 3.7 KB in 0.07 ms,
zlib level 6 3.9 KB in 0.4 ms, PostgreSQL's own TOAST compression 6.8 KB (pglz) or 5.7 KB (lz4); so the
engine compresses with zstandard and the column holds bytes the database does not try to compress again.

A stored value says its format by its first bytes: the zstandard frame's magic number, or `{` for the
plain JSON earlier releases wrote (as text, read back here as its UTF-8 bytes), which still loads.
"""

import threading

import zstandard

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
LEVEL = 3
_PLAIN_JSON = b"{"
_contexts = threading.local()  # a zstandard (de)compressor must not serve two threads at once


class StoredStateError(ValueError):
    """A stored state in no format this release writes or wrote."""


def encode(text: str) -> bytes:
    """The bytes to store for a state's JSON text."""
    if not hasattr(_contexts, "compressor"):
        _contexts.compressor = zstandard.ZstdCompressor(level=LEVEL)
    compressed: bytes = _contexts.compressor.compress(text.encode())
    return compressed


def decode(stored: bytes | str) -> str:
    """The JSON text of a stored state, whichever format it was written in."""
    if isinstance(stored, str):
        return stored
    if stored.startswith(ZSTD_MAGIC):
        if not hasattr(_contexts, "decompressor"):
            _contexts.decompressor = zstandard.ZstdDecompressor()
        text: str = _contexts.decompressor.decompress(stored).decode()
        return text
    if stored.startswith(_PLAIN_JSON):
        return stored.decode()
    raise StoredStateError(f"workflow state in an unknown format (starts {stored[:4]!r})")
