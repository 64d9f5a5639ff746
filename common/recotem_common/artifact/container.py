"""The signed container: bytes in, verified manifest and arrays out.

Layout (all integers little-endian; the full description is in ``common/README.md``)::

    offset 0   magic  b"RCTM"
           4   u16    format version
           6   u32    header length H
          10   u32    CRC-32 of bytes 0..9
          14   u32    CRC-32 of the header
          18   header JSON {"key_id", "payload_length"}, space-padded so the payload
               starts on a 64-byte boundary
      18 + H   payload: u64 index length, index JSON {"manifest", "arrays"}, then the
               arrays' raw bytes, each at a 64-byte aligned offset from the end of
               the (padded) index
         end   32-byte HMAC-SHA256 over every byte before it

The two CRCs are not security: they let a reader say "damaged" rather than "truncated"
or "unknown key" when a stray byte lands in the lengths or the key id. Security is the
HMAC, checked with ``hmac.compare_digest`` before a single payload byte is parsed.
Arrays are views into the caller's buffer (``np.frombuffer``), so loading copies
nothing; only plain numeric and fixed-width string dtypes are accepted, never objects.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from recotem_common.artifact.errors import (
    ArtifactError,
    ArtifactTampered,
    ArtifactTruncated,
    ArtifactUnknownKey,
    ArtifactUnknownVersion,
)
from recotem_common.artifact.keys import SigningKey

MAGIC = b"RCTM"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = frozenset({FORMAT_VERSION})

_PREFIX = struct.Struct("<4sHI")
_CRCS = struct.Struct("<II")
_FIXED_LENGTH = _PREFIX.size + _CRCS.size
_INDEX_LENGTH = struct.Struct("<Q")
TAG_LENGTH = hashlib.sha256().digest_size
ALIGNMENT = 64
MAX_HEADER_LENGTH = 4096
# Numeric kinds plus fixed-width unicode; "O" (objects) is what would need pickle.
_ALLOWED_DTYPE_KINDS = frozenset("biufU")


def pack(manifest: Mapping[str, Any], arrays: Mapping[str, np.ndarray], key: SigningKey) -> bytes:
    """Serialise and sign; the inverse of :func:`unpack`."""
    payload = _pack_payload(manifest, arrays)
    return _seal(payload, key, FORMAT_VERSION)


def unpack(data: bytes, keys: Sequence[SigningKey]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Verify ``data`` and return its manifest and arrays (views into ``data``)."""
    view = memoryview(data).cast("B")
    envelope = _open(view, keys)
    return _unpack_payload(view, envelope.payload_start, envelope.payload_length)


def resign(data: bytes, keys: Sequence[SigningKey]) -> bytes | None:
    """Re-sign a verified artifact with ``keys[0]``; None when it already is."""
    if not keys:
        raise ValueError("At least one signing key is required.")
    view = memoryview(data).cast("B")
    envelope = _open(view, keys)
    if envelope.key_id == keys[0].key_id:
        return None
    payload = view[envelope.payload_start : envelope.payload_start + envelope.payload_length]
    return _seal(payload, keys[0], envelope.version)


@dataclass(frozen=True, slots=True)
class _Envelope:
    version: int
    key_id: str
    payload_start: int
    payload_length: int


def _seal(payload: bytes | memoryview, key: SigningKey, version: int) -> bytes:
    header = json.dumps(
        {"key_id": key.key_id, "payload_length": len(payload)}, separators=(",", ":")
    ).encode()
    header += b" " * (-(_FIXED_LENGTH + len(header)) % ALIGNMENT)
    prefix = _PREFIX.pack(MAGIC, version, len(header))
    head = prefix + _CRCS.pack(zlib.crc32(prefix), zlib.crc32(header)) + header
    mac = hmac.new(key.secret, head, hashlib.sha256)
    mac.update(payload)
    return b"".join((head, payload, mac.digest()))


def _open(view: memoryview, keys: Sequence[SigningKey]) -> _Envelope:
    size = len(view)
    _check_magic(view)
    if size < _FIXED_LENGTH:
        raise ArtifactTruncated(
            f"The model file is truncated: {size} bytes, not even a complete header."
        )
    _, version, header_length = _PREFIX.unpack_from(view)
    prefix_crc, header_crc = _CRCS.unpack_from(view, _PREFIX.size)
    if zlib.crc32(view[: _PREFIX.size]) != prefix_crc:
        raise ArtifactTampered("The model file is damaged: its fixed header fails its checksum.")
    if version not in SUPPORTED_VERSIONS:
        raise ArtifactUnknownVersion(
            f"The model file uses artifact format version {version}; this Recotem "
            f"reads version(s) {', '.join(map(str, sorted(SUPPORTED_VERSIONS)))}. "
            "Retrain the model or upgrade Recotem."
        )
    if header_length > MAX_HEADER_LENGTH:
        raise ArtifactTampered("The model file is damaged: its header length is implausible.")
    payload_start = _FIXED_LENGTH + header_length
    if size < payload_start:
        raise ArtifactTruncated(
            f"The model file is truncated: {size} bytes, the header alone needs {payload_start}."
        )
    header_bytes = view[_FIXED_LENGTH:payload_start]
    if zlib.crc32(header_bytes) != header_crc:
        raise ArtifactTampered("The model file is damaged: its header fails its checksum.")
    key_id, payload_length = _parse_header(bytes(header_bytes))

    expected = payload_start + payload_length + TAG_LENGTH
    if size < expected:
        raise ArtifactTruncated(
            f"The model file is truncated: {size} bytes of the {expected} its header "
            "announces. Copy or upload it again."
        )
    if size > expected:
        raise ArtifactTampered(
            f"The model file is damaged: {size - expected} unexpected bytes after the signature."
        )
    key = next((k for k in keys if k.key_id == key_id), None)
    if key is None:
        raise ArtifactUnknownKey(
            f"The model file was signed with key id {key_id!r}, which is not among the "
            "configured keys. Was it trained with another SECRET_KEY or "
            "MODEL_SIGNING_KEYS? Add that key to MODEL_SIGNING_KEYS to accept it."
        )
    signed_end = payload_start + payload_length
    tag = hmac.new(key.secret, view[:signed_end], hashlib.sha256).digest()
    if not hmac.compare_digest(tag, bytes(view[signed_end:])):
        raise ArtifactTampered(
            "The model file's signature does not match its content: it was modified "
            "or damaged after it was written. Retrain or restore it."
        )
    return _Envelope(version, key_id, payload_start, payload_length)


def _check_magic(view: memoryview) -> None:
    start = bytes(view[: len(MAGIC)])
    if start == MAGIC:
        return
    if len(start) < len(MAGIC) and start == MAGIC[: len(start)]:
        raise ArtifactTruncated(f"The model file is truncated: only {len(start)} bytes long.")
    raise ArtifactTampered(
        "This is not a Recotem model artifact (wrong magic bytes): it is damaged or "
        "was written by something else, e.g. an older pickle-based Recotem."
    )


def _parse_header(raw: bytes) -> tuple[str, int]:
    try:
        header = json.loads(raw)
        key_id = header["key_id"]
        payload_length = header["payload_length"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ArtifactTampered("The model file is damaged: unreadable header.") from exc
    if not isinstance(key_id, str) or not isinstance(payload_length, int) or payload_length < 0:
        raise ArtifactTampered("The model file is damaged: malformed header.")
    return key_id, payload_length


def _pack_payload(manifest: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> bytes:
    entries: list[dict[str, Any]] = []
    parts: list[bytes | memoryview] = []
    offset = 0
    for name, array in arrays.items():
        if array.dtype.kind not in _ALLOWED_DTYPE_KINDS:
            raise ValueError(f"Array {name!r} has dtype {array.dtype}, which cannot be stored.")
        little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        entries.append(
            {
                "name": name,
                "dtype": little.dtype.str,
                "shape": list(little.shape),
                "offset": offset,
            }
        )
        parts.append(little.reshape(-1).view(np.uint8).data)
        parts.append(bytes(_aligned(little.nbytes) - little.nbytes))
        offset += _aligned(little.nbytes)
    try:
        index = json.dumps(
            {"manifest": manifest, "arrays": entries},
            separators=(",", ":"),
            allow_nan=False,
        ).encode()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The manifest cannot be stored as JSON: {exc}") from exc
    head = _INDEX_LENGTH.pack(len(index)) + index
    head += bytes(_aligned(len(head)) - len(head))
    return b"".join([head, *parts])


def _unpack_payload(
    view: memoryview, start: int, length: int
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    try:
        (index_length,) = _INDEX_LENGTH.unpack_from(view, start)
        if _INDEX_LENGTH.size + index_length > length:
            raise ValueError("index overruns the payload")
        index_start = start + _INDEX_LENGTH.size
        index = json.loads(bytes(view[index_start : index_start + index_length]))
        manifest = index["manifest"]
        if not isinstance(manifest, dict):
            raise TypeError("manifest is not an object")
        data_start = _aligned(_INDEX_LENGTH.size + index_length)
        arrays = {
            entry["name"]: _array_view(view, start + data_start, length - data_start, entry)
            for entry in index["arrays"]
        }
    except (ValueError, KeyError, TypeError, struct.error) as exc:
        raise ArtifactError(
            f"The model file is signed but its content is malformed ({exc}); it was "
            "written by an incompatible tool."
        ) from exc
    return manifest, arrays


def _array_view(view: memoryview, start: int, length: int, entry: Mapping[str, Any]) -> np.ndarray:
    dtype = np.dtype(entry["dtype"])
    if dtype.kind not in _ALLOWED_DTYPE_KINDS or dtype.byteorder == ">":
        raise ValueError(f"array {entry['name']!r} has a forbidden dtype {dtype}")
    shape = tuple(int(n) for n in entry["shape"])
    offset = int(entry["offset"])
    count = int(np.prod(shape, dtype=np.int64))
    if min((offset, count, *shape), default=0) < 0 or offset + count * dtype.itemsize > length:
        raise ValueError(f"array {entry['name']!r} lies outside the payload")
    array = np.frombuffer(view, dtype=dtype, count=count, offset=start + offset)
    array.flags.writeable = False
    return array.reshape(shape)


def _aligned(n: int) -> int:
    return n + (-n % ALIGNMENT)
