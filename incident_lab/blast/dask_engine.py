"""The Dask engine: the same scan, split into byte ranges of JSONL and run on a cluster.

``incident_lab blast-radius --engine dask`` needs the optional extra
``pip install 'incident-lab[dask]'``; dask is imported only here, only then.

Each file is cut into blocks of ``blocksize`` bytes (a gzip file is one block, as
it cannot be entered in the middle). A block owns the lines that *start* inside
it, so every line is read exactly once. A first pass counts the newlines of each
block, in parallel, so that every reject carries its true line number; the second
pass runs :func:`incident_lab.blast.scan.scan_lines`, the very function the local
engine runs, over each block with a ``dask.bag``. The partial results are merged
in block order, which makes the answer identical to the local engine's.

Files are opened through ``fsspec`` (a dependency of dask), so ``s3://``, ``gs://``
or ``abfs://`` URLs work when the matching fsspec backend is installed. Only native
``trajectory/v1`` JSONL is read: convert other formats with ``incident_lab
snapshot`` first.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from incident_lab.blast.match import Matcher
from incident_lab.blast.scan import Partial, scan_lines
from incident_lab.errors import ExternalError, UsageError
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES, head_object, iter_stream_lines

__all__ = ["DEFAULT_BLOCKSIZE", "plan_blocks", "scan_dask"]

#: Bytes per block (uncompressed files).
DEFAULT_BLOCKSIZE = 64 * 1024 * 1024
_READ = 1 << 20

Block = tuple[str, int, int, bool]  # path, start, end, compressed


def _import_dask() -> Any:
    try:
        import dask.bag
        import fsspec
    except ImportError:
        raise UsageError(
            "the Dask engine needs dask, which is not installed",
            hint="pip install 'incident-lab[dask]' (or use --engine local)",
        ) from None
    return dask.bag, fsspec


def _expand(fsspec: Any, paths: list[str]) -> list[str]:
    out: list[str] = []
    for path in paths:
        fs, _, [root] = fsspec.get_fs_token_paths(path)
        if not fs.exists(root):
            from incident_lab.errors import InputError

            raise InputError("no such file or directory", path=path, hint="check the --from path")
        if fs.isdir(root):
            found = sorted(p for p in fs.find(root) if not p.rsplit("/", 1)[-1].startswith("."))
            out.extend(fs.unstrip_protocol(p) if "://" in path else p for p in found)
        else:
            out.append(path)
    return out


def plan_blocks(paths: list[str], blocksize: int = DEFAULT_BLOCKSIZE) -> list[Block]:
    """Cut files into ``(path, start, end, compressed)`` byte ranges, in file order."""
    _, fsspec = _import_dask()
    blocks: list[Block] = []
    for path in _expand(fsspec, paths):
        fs, _, [name] = fsspec.get_fs_token_paths(path)
        size = int(fs.size(name))
        with fs.open(name, "rb") as fh:
            compressed = fh.read(2) == b"\x1f\x8b"
        if compressed or size <= blocksize:
            blocks.append((path, 0, size, compressed))
            continue
        blocks.extend(
            (path, start, min(start + blocksize, size), False)
            for start in range(0, size, blocksize)
        )
    return blocks


def _open(block: Block) -> Any:
    import fsspec

    path, _, _, compressed = block
    return fsspec.open(path, "rb", compression="gzip" if compressed else None).open()


def _count_newlines(block: Block) -> tuple[int, bool]:
    """Newlines in ``[start, end)``, and whether the block starts on a line boundary."""
    _path, start, end, compressed = block
    if compressed:
        return 0, True
    with _open(block) as fh:
        at_boundary = start == 0
        if start:
            fh.seek(start - 1)
            at_boundary = fh.read(1) == b"\n"
        count, left = 0, end - start
        while left > 0:
            chunk = fh.read(min(_READ, left))
            if not chunk:
                break
            count += chunk.count(b"\n")
            left -= len(chunk)
    return count, at_boundary


def _block_lines(
    block: Block, first_line: int, max_line_bytes: int
) -> Iterator[tuple[int, bytes | None, str | None]]:
    """``(line_no, raw, problem)`` for the lines that start in the block, like ``iter_lines``."""
    _path, start, end, compressed = block
    with _open(block) as raw_fh:
        fh = io.BufferedReader(raw_fh, _READ) if not hasattr(raw_fh, "peek") else raw_fh
        pos = start
        if start:
            fh.seek(start - 1)
            if fh.read(1) != b"\n":  # the line that began before us belongs to the previous block
                pos = start + len(fh.readline())
        yield from iter_stream_lines(
            fh,
            max_line_bytes=max_line_bytes,
            first_line=first_line,
            stop_after=None if compressed else end - pos,
        )


def _scan_block(args: tuple[Block, int, Matcher, int]) -> Partial:
    block, first_line, matcher, max_line_bytes = args
    return scan_lines(matcher, _block_lines(block, first_line, max_line_bytes), block[0])


def scan_dask(
    matcher: Matcher,
    paths: list[str],
    *,
    blocksize: int = DEFAULT_BLOCKSIZE,
    scheduler: str | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> tuple[Partial, list[dict[str, Any]]]:
    """Scan native JSONL with dask: the current ``distributed.Client`` if one is active.

    Args:
        matcher: The incident's matcher (shipped to the workers once per task).
        paths: Files, directories or fsspec URLs.
        blocksize: Bytes per task for uncompressed files.
        scheduler: A dask scheduler name or address; None uses the active client,
            else dask's default (threads).
        max_line_bytes: Longer lines are rejects.

    Returns:
        The merged :class:`Partial` and one ``{path, format}`` per file.

    Raises:
        UsageError: dask is not installed, or a file is not native JSONL.
        ExternalError: the cluster failed.
    """
    bag, _ = _import_dask()
    blocks = plan_blocks(paths, blocksize)
    _check_native(blocks)
    compute: dict[str, Any] = {}
    if scheduler:
        if "://" in scheduler:
            from distributed import Client

            compute["scheduler"] = Client(scheduler, set_as_default=False).get
        else:
            compute["scheduler"] = scheduler
    try:
        counts = (
            bag.from_sequence(blocks, npartitions=max(1, len(blocks)))
            .map(_count_newlines)
            .compute(**compute)
        )
        firsts, lines_before, current = [], 0, None
        for block, (count, at_boundary) in zip(blocks, counts, strict=True):
            if block[0] != current:
                current, lines_before = block[0], 0
            firsts.append(lines_before + (1 if at_boundary else 2))
            lines_before += count
        tasks = [(b, f, matcher, max_line_bytes) for b, f in zip(blocks, firsts, strict=True)]
        parts = (
            bag.from_sequence(tasks, npartitions=max(1, len(tasks)))
            .map(_scan_block)
            .compute(**compute)
        )
    except (OSError, UsageError):
        raise
    except Exception as exc:  # a worker died, the scheduler went away, ...
        raise ExternalError(f"the Dask computation failed: {type(exc).__name__}: {exc}") from None
    total = Partial()
    for part in parts:
        total.merge(part)
    files = list(dict.fromkeys(b[0] for b in blocks))
    return total, [{"path": p, "format": "native"} for p in files]


def _check_native(blocks: list[Block]) -> None:
    """Refuse files that are not native JSONL (looked at through their first line)."""
    for path in dict.fromkeys(b[0] for b in blocks):
        block = next(b for b in blocks if b[0] == path)
        with _open((path, 0, block[2], block[3])) as fh:
            head = fh.read(65536)
        # None: an empty file, or a damaged first line (a reject, found by the scan itself).
        obj = head_object(head)
        if obj is not None and not (isinstance(obj, dict) and "steps" in obj):
            raise UsageError(
                f"{path} is not trajectory/v1 JSONL; the Dask engine reads only that format",
                hint="convert it with 'incident_lab snapshot --from FILE' and scan trajectories.jsonl, or use --engine local",
            )
