"""Sets of document numbers as Python ints: bit d is set for document number d.

Every match set, filter and facet value is such an int; AND, OR and counting bits run at C
speed, which is what makes facet counts over every match cheap.
"""

from __future__ import annotations

import time
from itertools import compress

import numpy as np
from whoosh.idsets import DocIdSet


class BitsView(DocIdSet):
    """A document set held as an int's bits, viewed as a set for Whoosh's filtering collector."""

    def __init__(self, bits: int, size: int):
        self.raw = bits.to_bytes((size >> 3) + 1, "little")
        self.count = bits.bit_count()

    def __len__(self) -> int:
        return self.count

    def __contains__(self, docnum) -> bool:
        index_ = docnum >> 3
        return index_ < len(self.raw) and bool(self.raw[index_] >> (docnum & 7) & 1)

    def __iter__(self):
        return iter(docnums_from_bits(int.from_bytes(self.raw, "little")))

    def copy(self):
        copied = BitsView(0, 0)
        copied.raw, copied.count = self.raw, self.count
        return copied


def bits_from_docnums(docnums, size: int, deadline: float | None = None) -> tuple[int, bool]:
    """Document numbers -> a Python int with bit d set for each d; (bits, finished in time)."""
    packed = bytearray((size >> 3) + 1)
    finished = True
    for count, docnum in enumerate(docnums):
        packed[docnum >> 3] |= 1 << (docnum & 7)
        if deadline is not None and not count & 4095 and time.monotonic() > deadline:
            finished = False
            break
    return int.from_bytes(packed, "little"), finished


def flags_from_bits(bits: int, size: int) -> bytes:
    """One byte per document number below `size`, 1 where the bit is set (C-speed throughout)."""
    if bits <= 0:
        return bytes(size)
    flags = format(bits, "b")[::-1].encode("ascii").translate(_ONE_ZERO)
    return flags[:size] + bytes(size - len(flags))


def mask_from_bits(bits: int, size: int) -> np.ndarray:
    """A bitset over document numbers as a numpy bool array of `size`."""
    if bits <= 0:
        return np.zeros(size, dtype=bool)
    raw = np.frombuffer(bits.to_bytes(max((size + 7) // 8, (bits.bit_length() + 7) // 8), "little"),
                        dtype=np.uint8)
    return np.unpackbits(raw, bitorder="little")[:size].astype(bool)


def bits_from_mask(mask: np.ndarray) -> int:
    """A numpy bool array over document numbers as a bitset."""
    return int.from_bytes(np.packbits(mask, bitorder="little").tobytes(), "little")


def docnums_from_bits(bits: int) -> list[int]:
    """The set bits of an int, ascending."""
    if bits <= 0:
        return []
    count = bits.bit_count()
    length = bits.bit_length()
    if count * 16 > length:
        # Dense: select from a range with the flags, all in C.
        return list(compress(range(length), flags_from_bits(bits, length)))
    raw = bits.to_bytes((length >> 3) + 1, "little")
    out = []
    append = out.append
    for byte_index, byte in enumerate(raw):
        if byte:
            base = byte_index << 3
            for bit in _BITS_OF_BYTE[byte]:
                append(base + bit)
    return out


_BITS_OF_BYTE = [tuple(b for b in range(8) if value >> b & 1) for value in range(256)]
_ZERO_ONE = bytes.maketrans(b"\x00\x01", b"01")
_ONE_ZERO = bytes.maketrans(b"01", b"\x00\x01")
