"""A landed file's bytes as numbered lines, split by numpy and handed on as Arrow views.

Nothing is copied per line: each line is a 16-byte view (length, prefix, offset) into the
file's own buffer, the layout Arrow calls `string_view` and DuckDB reads natively. The line
break is outside the view, so no engine has to strip it: a line ends before its `\\n`, and
one `\\r` before that (CRLF) is part of the break too. A leading byte-order mark is skipped;
a final `\\n` does not start an extra line.

UTF-8 is checked here too, by Arrow's vectorized validation: a line made only of ASCII bytes
is valid by construction, and the others are validated together. Only when that fails (a
batch with a broken line) are the non-ASCII lines left for the engine to decode one by one.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

BOM = b"\xef\xbb\xbf"
_NEWLINE, _CARRIAGE_RETURN = 10, 13
# Views of at most this many bytes hold the bytes themselves; longer ones point at them.
_INLINE = 12

LINES_SCHEMA = pa.schema(
    [
        ("partition_date", pa.date32()),
        # One file name per batch of lines: a dictionary, not a copy per line.
        ("source_file", pa.dictionary(pa.int32(), pa.string())),
        ("line_number", pa.int64()),
        # The line's bytes, line break excluded.
        ("raw", pa.binary_view()),
        # The same bytes as text; NULL where they still have to be decoded (see module doc).
        ("text", pa.string_view()),
    ]
)


def _bounds(buffer: np.ndarray, file_start: bool) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive, line break excluded) of every line of a file's bytes."""
    size = len(buffer)
    first = len(BOM) if file_start and bytes(buffer[: len(BOM)]) == BOM else 0
    if first >= size:  # nothing, or nothing but a BOM: no line (a lone "\n" is one line)
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    breaks = np.flatnonzero(buffer[first:] == _NEWLINE) + first
    starts = np.concatenate(([first], breaks + 1)).astype(np.int64)
    ends = np.concatenate((breaks, [size])).astype(np.int64)
    if starts[-1] == size:  # the file ends with "\n": no extra empty line after it
        starts, ends = starts[:-1], ends[:-1]
    carriage = (ends > starts) & (buffer[np.maximum(ends - 1, 0)] == _CARRIAGE_RETURN)
    return starts, ends - carriage


def _views(buffer: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Arrow's 16-byte views: the length, then the bytes themselves when they fit in 12, or
    else their first 4 bytes, buffer 0 and the offset."""
    count = len(starts)
    views = np.zeros((count, 16), dtype=np.uint8)
    if count == 0:
        return views
    words = views.view("<i4")  # (count, 4): length, prefix, buffer index, offset
    words[:, 0] = lengths
    last = len(buffer) - 1
    long = lengths > _INLINE
    words[long, 3] = starts[long]
    views[long, 4:8] = buffer[np.minimum(starts[long, None] + np.arange(4), last)]
    short = np.flatnonzero(~long)
    if len(short):
        head = buffer[np.minimum(starts[short, None] + np.arange(_INLINE), max(last, 0))]
        views[short, 4:16] = np.where(np.arange(_INLINE) < lengths[short, None], head, 0)
    return views


def _all_text(content: bytes | memoryview, starts: np.ndarray, ends: np.ndarray) -> bool:
    """Whether every line is valid UTF-8, checked by Arrow in one vectorized pass.

    The lines and the breaks between them, alternately, form one binary array over the
    file's own buffer (no copy); casting it to text validates all of them at once.
    """
    if len(starts) == 0:
        return True
    offsets = np.empty(2 * len(starts), dtype=np.int64)
    offsets[0::2], offsets[1::2] = starts, ends
    pieces = pa.Array.from_buffers(
        pa.large_binary(),
        len(offsets) - 1,
        [None, pa.py_buffer(offsets), pa.py_buffer(content)],
    )
    try:
        pieces.cast(pa.large_string()).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _ascii_lines(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each line, whether all its bytes are ASCII (so valid UTF-8 by construction)."""
    ascii_lines = np.ones(len(starts), dtype=bool)
    high = np.flatnonzero(buffer >= 0x80)
    if len(high) == 0 or len(starts) == 0:
        return ascii_lines
    # The line of each non-ASCII byte; bytes in a line break or the BOM belong to none.
    owner = np.searchsorted(starts, high, side="right") - 1
    inside = (owner >= 0) & (high < ends[np.maximum(owner, 0)])
    ascii_lines[owner[inside]] = False
    return ascii_lines


def lines_table(
    day: dt.date,
    source_file: str,
    content: bytes | memoryview,
    first_line: int = 1,
    file_start: bool = True,
) -> pa.Table:
    """The lines of a file (or of a piece of it made of whole lines, `first_line` being the
    number of its first line) as rows `(partition_date, source_file, line_number, raw, text)`.

    A byte-order mark is skipped only at the start of the file (`file_start`).
    """
    if len(content) >= 2**31:
        raise ValueError(f"{source_file}: a piece of {len(content)} bytes; pieces stay < 2 GiB")
    buffer = np.frombuffer(content, dtype=np.uint8)
    starts, ends = _bounds(buffer, file_start)
    count = len(starts)
    views = pa.py_buffer(_views(buffer, starts, ends - starts).tobytes())
    data = pa.py_buffer(content)
    raw = pa.Array.from_buffers(pa.binary_view(), count, [None, views, data])
    text_validity = None
    if not _all_text(content, starts, ends):
        # Some line is broken: only the ASCII ones are known to be text; the engine decodes
        # the others one by one.
        known = _ascii_lines(buffer, starts, ends)
        text_validity = pa.py_buffer(np.packbits(known, bitorder="little"))
    text = pa.Array.from_buffers(pa.string_view(), count, [text_validity, views, data])
    return pa.table(
        {
            "partition_date": pa.repeat(pa.scalar(day, pa.date32()), count),
            "source_file": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(count, dtype=np.int32)), pa.array([source_file])
            ),
            "line_number": pa.array(np.arange(first_line, first_line + count, dtype=np.int64)),
            "raw": raw,
            "text": text,
        },
        schema=LINES_SCHEMA,
    )


def view_lengths(column: pa.ChunkedArray) -> np.ndarray:
    """The byte length of every value of a `binary_view`/`string_view` column.

    Read from the views themselves (their first 4 bytes): Arrow has no length kernel for
    view types yet.
    """
    parts = []
    for chunk in column.chunks:
        views = np.frombuffer(chunk.buffers()[1], dtype="<i4").reshape(-1, 4)
        parts.append(views[chunk.offset : chunk.offset + len(chunk), 0].astype(np.int64))
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
