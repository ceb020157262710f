"""JSON lines built as bytes by numpy, for millions of lines at once (see :class:`LineBuilder`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np


def _digit_groups() -> np.ndarray:
    """``[:, v]`` is the four ASCII digits of 0 <= v < 10,000, zero-padded."""
    values = np.arange(10_000)
    return np.stack([48 + values // 10**e % 10 for e in (3, 2, 1, 0)]).astype(np.uint8)


_DIGITS = _digit_groups()
#: Marks a byte that is not part of the line; JSON text never holds a raw NUL.
_NOTHING = b"\x00"
#: Lines transposed at once by :meth:`LineBuilder.to_bytes`.
_TILE = 2048


class LineBuilder:
    """Lines as a byte matrix, one row per byte position and one column per line.

    Each call appends the same part to every line. Row-per-position keeps every write
    contiguous; :meth:`to_bytes` transposes once and drops the unused (NUL) bytes, which is
    how parts of different widths (a short event type, a missing revenue) line up.
    """

    def __init__(self, count: int, width: int = 256) -> None:
        self._m = np.zeros((width, count), dtype=np.uint8)
        self._pos = 0

    def _take(self, width: int) -> slice:
        if self._pos + width > self._m.shape[0]:
            grown = np.zeros((self._m.shape[0] * 2, self._m.shape[1]), dtype=np.uint8)
            grown[: self._pos] = self._m[: self._pos]
            self._m = grown
        rows = slice(self._pos, self._pos + width)
        self._pos += width
        return rows

    def text(self, text: str) -> None:
        """The same text on every line."""
        data = np.frombuffer(text.encode(), dtype=np.uint8)
        self._m[self._take(len(data))] = data[:, None]

    def padded(self, values: np.ndarray, digits: int) -> None:
        """Each value as exactly ``digits`` decimal digits, zero-padded."""
        rows = self._take(digits)
        rest = values.astype(np.int64)
        end = rows.stop
        # Four digits per table lookup: integer division is the slow part.
        while end > rows.start:
            width = min(4, end - rows.start)
            rest, group = np.divmod(rest, 10_000)
            self._m[end - width : end] = _DIGITS[4 - width :, group]
            end -= width

    def unpadded(self, values: np.ndarray, digits: int) -> None:
        """Each value (below 10**digits) in decimal without leading zeros, as JSON wants."""
        start = self._pos
        self.padded(values, digits)
        for i in range(digits - 1):
            self._m[start + i, values < 10 ** (digits - 1 - i)] = 0

    def choice(self, options: Sequence[str], index: np.ndarray) -> None:
        """``options[index[j]]`` on line j."""
        encoded = [o.encode() for o in options]
        table = np.zeros((max(map(len, encoded)), len(options)), dtype=np.uint8)
        for j, option in enumerate(encoded):
            table[: len(option), j] = np.frombuffer(option, dtype=np.uint8)
        self._m[self._take(table.shape[0])] = table[:, index]

    @contextmanager
    def only(self, present: np.ndarray) -> Iterator[None]:
        """What the block appends goes on the lines where ``present`` only."""
        start = self._pos
        yield
        self._m[start : self._pos, ~present] = 0

    def to_bytes(self) -> bytes:
        """Every line, in order, its unused bytes dropped."""
        columns = self._m[: self._pos]
        lines = np.empty((columns.shape[1], columns.shape[0]), dtype=np.uint8)
        # Transposed a tile at a time: a tile's source rows stay in cache (4x faster here).
        for start in range(0, lines.shape[0], _TILE):
            lines[start : start + _TILE] = columns[:, start : start + _TILE].T
        return lines.tobytes().translate(None, _NOTHING)
