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
# Tried when the profile names no encoding and the bytes are not UTF-8 (Chinese Excel).
GB18030 = "gb18030"
# Share of non-ASCII characters that must be common (GB2312) Chinese for GB18030 to be chosen
# (mojibake of Western text scores near 0; Chinese text near 1, Latin names mixed in included).
MIN_COMMON_SHARE = 0.5


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
    if _decodes_fully(path, GB18030) and _reads_as_chinese(path):
        return GB18030
    raise EncodingError(
        "the bytes are not UTF-8, UTF-16 or Chinese GB18030/GBK"
        + _western_sample(path)
        + "; set `encoding:` in the folder's profile.yml to the export's encoding "
        "(e.g. encoding: cp1252 for Excel on Western Windows) and deliver it again"
    )


def _reads_as_chinese(path: Path, sample_bytes: int = 4 * CHUNK) -> bool:
    """Whether GB18030 gives Chinese text rather than mojibake. GB18030 decodes almost any
    bytes: a Western export's `Andrés Müller` comes out as `Andr閟 M黮ler`, rare characters
    from the extended code space. Chinese text is overwhelmingly in the common GB2312 set, so
    the file reads as Chinese when most of its non-ASCII characters are GB2312 characters."""
    with open_bytes(path) as handle:
        head = handle.read(sample_bytes)
    text = head.decode(GB18030, errors="ignore")
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return True
    common = 0
    for char in wide:
        try:
            char.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common >= MIN_COMMON_SHARE * len(wide)


def _western_sample(path: Path) -> str:
    """The first line with non-ASCII bytes as cp1252 would read it, to help pick the encoding."""
    with open_bytes(path) as handle:
        for number, line in enumerate(handle, start=1):
            if any(byte > 127 for byte in line):
                try:
                    text = line.decode("cp1252").strip()
                except UnicodeDecodeError:
                    return ""
                return f" (line {number} would read in cp1252 as {text[:80]!r})"
    return ""


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
