"""Aligned blocks in a bounded LRU cache, for sources where every read is a request.

The file is cut into aligned blocks of `SourceLimits.block_size`; a read
fetches the blocks it misses, contiguous misses in one ranged request, and
keeps the most recently used `cache_blocks` blocks. Sequential misses (a
decoder walking through `mdat`) double a read-ahead window up to a quarter of
the cache, so decoding a whole file takes few requests while a probe, which
jumps between `ftyp`, `moov` and the first samples, fetches single blocks.
Subclasses (HTTP, S3) only say how to fetch one byte range.

The one unaligned read is the file's tail: when the box walk jumps past the media
data to a header the cache does not hold, and at most `cache_blocks/4` blocks remain,
the rest of the file (typically exactly the `moov` of a non-faststart file) is fetched
in one request and kept beside the blocks.
"""

from __future__ import annotations

from abc import abstractmethod
from collections import OrderedDict

from mp4_small_analyser.analysis.sources.base import ByteSource
from mp4_small_analyser.options import SourceLimits


class BlockCachedSource(ByteSource):
    def __init__(self, url: str, limits: SourceLimits) -> None:
        super().__init__(url)
        self._limits = limits
        self._size = 0
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._max_readahead = max(1, limits.cache_blocks // 4)
        self._readahead = 1
        self._next_block = -1
        self._tail_offset = -1
        self._tail = b""

    @property
    def size(self) -> int:
        return self._size

    @abstractmethod
    def _fetch_range(self, start: int, end: int) -> bytes:
        """Exactly the bytes `start..end` (inclusive) of the object, in one request."""

    def close(self) -> None:
        self._blocks.clear()
        self._tail = b""

    def prefetch_tail(self, offset: int) -> None:
        block_size = self._limits.block_size
        remaining = self._size - offset
        if offset <= 0 or remaining <= 0 or 0 <= self._tail_offset <= offset:
            return
        if remaining > self._max_readahead * block_size or offset // block_size in self._blocks:
            return
        self._tail = self._fetch_range(offset, self._size - 1)
        self._tail_offset = offset

    def _fetch(self, offset: int, size: int) -> bytes:
        if 0 <= self._tail_offset <= offset:
            start = offset - self._tail_offset
            return self._tail[start : start + size]
        block_size = self._limits.block_size
        first, last = offset // block_size, (offset + size - 1) // block_size
        pieces: list[bytes] = []
        block = first
        while block <= last:
            cached = self._blocks.get(block)
            if cached is not None:
                self._blocks.move_to_end(block)
                pieces.append(cached)
                block += 1
                continue
            run_last = block
            while (
                run_last < last
                and run_last + 1 not in self._blocks
                and run_last + 1 - block < self._limits.cache_blocks
            ):
                run_last += 1
            pieces.extend(self._fetch_blocks(block, run_last)[: run_last - block + 1])
            block = run_last + 1
        start = offset - first * block_size
        return b"".join(pieces)[start : start + size]

    def _fetch_blocks(self, first: int, last: int) -> list[bytes]:
        """Fetch blocks `first..last` (more when reading sequentially) and cache them."""
        final_block = (self._size - 1) // self._limits.block_size
        if first == self._next_block:
            self._readahead = min(self._readahead * 2, self._max_readahead)
        else:
            self._readahead = 1
        while (
            last < final_block
            and last + 1 - first < self._readahead
            and last + 1 not in self._blocks
        ):
            last += 1
        start = first * self._limits.block_size
        end = min((last + 1) * self._limits.block_size, self._size) - 1
        return self._store_blocks(first, self._fetch_range(start, end))

    def _store_blocks(self, first: int, data: bytes) -> list[bytes]:
        block_size = self._limits.block_size
        blocks = [data[i : i + block_size] for i in range(0, len(data), block_size)]
        for index, block in enumerate(blocks, start=first):
            self._blocks[index] = block
            self._blocks.move_to_end(index)
        while len(self._blocks) > self._limits.cache_blocks:
            self._blocks.popitem(last=False)
        self._next_block = first + len(blocks)
        return blocks
