#!/usr/bin/env python3
"""Reads and writes gimp-harmonize weights files (.hzw, weights/FORMAT.md) with numpy only.

    tensors, meta = hzw.read(path)           # {name: ndarray (float32 or float16)}, {key: str}
    hzw.write(path, tensors, meta, half=False)

`python3 hzw.py FILE` prints a file's header, metadata and tensor index.
"""
import os
import struct
import sys
import zlib

import numpy as np

MAGIC = b'\x89HZW\r\n\x1a\n'
VERSION = 1
HEADER_SIZE = 64
CHECKSUM_OFFSET = 32
CHECKSUM_FIELD = 32  # the CRC-32 (4 bytes), then reserved bytes that must be zero
ALIGNMENT = 64
MAX_NAME = 255
MAX_VALUE = 65536
MAX_DIMS = 4
DTYPES = {0: np.dtype('<f4'), 1: np.dtype('<f2')}
ARCHITECTURE = 'ssh-unet-tile-se-norm'


class FormatError(ValueError):
    """A file that is not a valid weights file; the message names the defect."""


def checksum(data):
    """CRC-32 (an int) of the file with the checksum field read as zeros."""
    crc = zlib.crc32(data[:CHECKSUM_OFFSET])
    crc = zlib.crc32(bytes(CHECKSUM_FIELD), crc)
    return zlib.crc32(data[HEADER_SIZE:], crc)


def _check_name(name, what):
    raw = name.encode('utf-8')
    if not 1 <= len(raw) <= MAX_NAME or any(b < 0x21 or b > 0x7e for b in raw):
        raise FormatError(f'{what} {name!r} must be 1 to {MAX_NAME} printable ASCII characters without spaces')
    return raw


def _align(pos):
    return (pos + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def encode(tensors, meta=None, half=False):
    """The bytes of a weights file: tensors maps names to arrays (in file order), meta keys to text."""
    dtype = DTYPES[1 if half else 0]
    meta = meta or {}
    arrays = [(name, np.ascontiguousarray(np.asarray(a), dtype=dtype)) for name, a in tensors.items()]
    head = bytearray()
    for key, value in meta.items():
        raw = value.encode('utf-8')
        if len(raw) > MAX_VALUE or b'\0' in raw:
            raise FormatError(f'metadata {key!r} must be at most {MAX_VALUE} bytes of text without NUL')
        key = _check_name(key, 'metadata key')
        head += struct.pack('<I', len(key)) + key + struct.pack('<I', len(raw)) + raw
    index_size = sum(4 + len(_check_name(n, 'tensor name')) + 8 + 8 * a.ndim + 16 for n, a in arrays)
    pos = HEADER_SIZE + len(head) + index_size
    offsets = []
    for name, a in arrays:
        if not 1 <= a.ndim <= MAX_DIMS or 0 in a.shape:
            raise FormatError(f'tensor {name!r} has shape {a.shape}: 1 to {MAX_DIMS} dimensions, none empty')
        pos = _align(pos)
        offsets.append(pos)
        pos += a.nbytes
    file_size = pos
    for (name, a), offset in zip(arrays, offsets):
        raw = name.encode('ascii')
        head += struct.pack('<I', len(raw)) + raw + struct.pack('<II', 1 if half else 0, a.ndim)
        head += struct.pack(f'<{a.ndim}Q', *a.shape) + struct.pack('<QQ', offset, a.nbytes)
    out = bytearray(file_size)
    out[:HEADER_SIZE] = struct.pack('<8sIIIIQ', MAGIC, VERSION, ALIGNMENT, len(meta), len(arrays),
                                    file_size).ljust(HEADER_SIZE, b'\0')
    out[HEADER_SIZE:HEADER_SIZE + len(head)] = head
    for (_, a), offset in zip(arrays, offsets):
        out[offset:offset + a.nbytes] = a.tobytes()
    out[CHECKSUM_OFFSET:CHECKSUM_OFFSET + 4] = struct.pack('<I', checksum(out))
    return bytes(out)


def write(path, tensors, meta=None, half=False):
    """Writes atomically (a temporary file renamed over path)."""
    data = encode(tensors, meta, half)
    tmp = f'{path}.tmp{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n, what):
        if n > len(self.data) - self.pos:
            raise FormatError(f'truncated: {what} ends past the end of the file')
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def u32(self, what):
        return struct.unpack('<I', self.take(4, what))[0]

    def u64(self, what):
        return struct.unpack('<Q', self.take(8, what))[0]

    def name(self, what):
        n = self.u32(what)
        if not 1 <= n <= MAX_NAME:
            raise FormatError(f'{what} has a length of {n} bytes (1 to {MAX_NAME} allowed)')
        raw = self.take(n, what)
        if any(b < 0x21 or b > 0x7e for b in raw):
            raise FormatError(f'{what} holds a byte that is not printable ASCII')
        return bytes(raw).decode('ascii')


def decode(data):
    """(tensors, meta) from the bytes of a weights file, checked as the C loader does.
    The arrays are read-only views of data, in their stored dtype."""
    data = memoryview(data).cast('B')
    if len(data) == 0:
        raise FormatError('empty file (not a gimp-harmonize weights file)')
    if bytes(data[:8]) != MAGIC:
        raise FormatError('not a gimp-harmonize weights file (bad magic)')
    r = _Reader(data)
    r.pos = 8
    version = r.u32('the header')
    if version != VERSION:
        raise FormatError(f'format version {version} is newer than this reader reads ({VERSION})'
                          if version > VERSION else f'unknown format version {version} (this reader reads {VERSION})')
    alignment, n_meta, n_tensors, file_size = struct.unpack('<IIIQ', r.take(20, 'the header'))
    stored = r.u32('the header')
    reserved = r.take(CHECKSUM_FIELD - 4, 'the header')
    if file_size > len(data):
        raise FormatError(f'truncated: {len(data)} of the {file_size} bytes its header announces')
    if file_size < len(data):
        raise FormatError(f'{len(data) - file_size} bytes of unexpected data after the {file_size} bytes its header announces')
    if any(reserved):
        raise FormatError('reserved header bytes are not zero')
    if checksum(data) != stored:
        raise FormatError('checksum mismatch (file corrupt)')
    if not 4 <= alignment <= 65536 or alignment & (alignment - 1):
        raise FormatError(f'alignment {alignment} is not a power of two from 4 to 65536')
    meta = {}
    for _ in range(n_meta):
        key = r.name('a metadata key')
        if key in meta:
            raise FormatError(f'metadata key {key!r} appears twice')
        raw = bytes(r.take(r.u32('a metadata value'), 'a metadata value'))
        if len(raw) > MAX_VALUE or b'\0' in raw:
            raise FormatError(f'metadata {key!r} is not valid UTF-8 text')
        meta[key] = raw.decode('utf-8')
    entries = []
    for _ in range(n_tensors):
        name = r.name('a tensor name')
        dtype, ndim = r.u32('the tensor index'), r.u32('the tensor index')
        if dtype not in DTYPES:
            raise FormatError(f'tensor {name!r} has unknown data type {dtype}')
        if not 1 <= ndim <= MAX_DIMS:
            raise FormatError(f'tensor {name!r} has {ndim} dimensions (1 to {MAX_DIMS} allowed)')
        shape = tuple(r.u64('the tensor index') for _ in range(ndim))
        offset, n_bytes = r.u64('the tensor index'), r.u64('the tensor index')
        if 0 in shape or int(np.prod(shape, dtype=object)) * DTYPES[dtype].itemsize != n_bytes:
            raise FormatError(f'tensor {name!r}: shape {shape} does not match its {n_bytes} bytes')
        if any(e[0] == name for e in entries):
            raise FormatError(f'tensor {name!r} appears twice')
        entries.append((name, DTYPES[dtype], shape, offset, n_bytes))
    end = r.pos
    tensors = {}
    for name, dtype, shape, offset, n_bytes in entries:
        if offset % alignment:
            raise FormatError(f'tensor {name!r} data offset {offset} is not a multiple of the alignment {alignment}')
        if offset < end:
            raise FormatError(f'tensor {name!r} data overlaps the index or the tensor before it')
        if offset + n_bytes > len(data):
            raise FormatError(f'truncated: tensor {name!r} data ends past the end of the file')
        end = offset + n_bytes
        tensors[name] = np.frombuffer(data[offset:end], dtype=dtype).reshape(shape)
    if end != len(data):
        raise FormatError(f'{len(data) - end} bytes of unexpected data after the last tensor')
    return tensors, meta


def read(path):
    """(tensors, meta) of a weights file; FormatError (a ValueError) naming the file on any defect."""
    with open(path, 'rb') as f:
        data = f.read()
    try:
        return decode(data)
    except FormatError as e:
        raise FormatError(f'{path}: {e}') from None


def main(argv):
    if len(argv) != 2:
        sys.exit(f'usage: {argv[0]} FILE.hzw')
    try:
        tensors, meta = read(argv[1])
    except (OSError, FormatError) as e:
        sys.exit(str(e))
    print(f'{argv[1]}: format version {VERSION}, {len(tensors)} tensors, '
          f'{sum(a.size for a in tensors.values())} parameters')
    for key, value in meta.items():
        print(f'  {key}: {value}')
    for name, a in tensors.items():
        print(f'  {name} {a.dtype.name} {list(a.shape)}')


if __name__ == '__main__':
    main(sys.argv)
