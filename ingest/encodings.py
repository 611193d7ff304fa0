"""Text encodings of delivered files: detect them, and turn anything that is not UTF-8 into UTF-8.

DuckDB's CSV reader reads UTF-8 (with or without a byte-order mark). Chinese Excel exports
(GB18030/GBK) and Excel's "Unicode text" (UTF-16) are transcoded once, streaming, into a
temporary UTF-8 file next to nothing the user owns; the original file is never modified.
"""

from __future__ import annotations

import codecs
import gzip
import tempfile
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
UTF8 = "utf-8"
# Tried in this order when the profile names no encoding and the bytes are not UTF-8.
FALLBACK_ENCODINGS = ("gb18030",)


class EncodingError(Exception):
    """The file's bytes are in no encoding we can recognise; the message says what to set."""


def open_bytes(path: Path) -> BinaryIO:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def _decodes_fully(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        with open_bytes(path) as handle:
            for block in iter(lambda: handle.read(CHUNK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, EOFError, OSError):
        return False
    return True


def detect_encoding(path: Path, declared: str | None = None) -> str:
    """The file's encoding: the profile's if it declares one, else a BOM, else UTF-8 if the
    bytes are valid UTF-8, else the first fallback that decodes every byte."""
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            raise EncodingError(f"unknown encoding {declared!r} in the profile") from None
        return declared
    with open_bytes(path) as handle:
        head = handle.read(4)
    found = bom_encoding(head)
    if found:
        return found
    if _decodes_fully(path, UTF8):
        return UTF8
    for candidate in FALLBACK_ENCODINGS:
        if _decodes_fully(path, candidate):
            return candidate
    raise EncodingError(
        "the bytes are not UTF-8, UTF-16 or GB18030; set `encoding:` in the folder's profile.yml "
        "(e.g. encoding: cp1252)"
    )


def is_plain_utf8(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def transcode_to_utf8(path: Path, encoding: str, workdir: Path | None = None) -> Path:
    """Write a UTF-8 copy of `path` (decompressed) and return its path; the caller deletes it."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with tempfile.NamedTemporaryFile(
        "wb", suffix=".csv", prefix="ingest-", dir=workdir, delete=False
    ) as out, open_bytes(path) as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            out.write(decoder.decode(block).encode(UTF8))
        out.write(decoder.decode(b"", final=True).encode(UTF8))
    return Path(out.name)
