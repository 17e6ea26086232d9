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

Every format is read through the project's readers, as the local engine reads it
(:func:`incident_lab.blast.scan.plan_files` tells each file's format the same way):
native JSONL is split into blocks as above, and a file of any other format (OpenAI
chat logs, OTel or OpenInference spans, Inspect logs, plugin readers) is one task
that runs :func:`incident_lab.blast.scan.scan_records`, the local engine's function
for it, on a worker. A file no reader recognises inside a directory is a reject, as
locally.

Remote files are opened through ``fsspec`` (a dependency of dask), so ``s3://``,
``gs://`` or ``abfs://`` URLs work when the matching fsspec backend is installed;
the readers open local files only, so a URL must hold native ``trajectory/v1``
JSONL (convert other formats with ``incident_lab snapshot`` first).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

from incident_lab.blast.match import Matcher
from incident_lab.blast.scan import Partial, plan_files, scan_lines, scan_records
from incident_lab.errors import ExternalError, UsageError
from incident_lab.readers.base import DEFAULT_MAX_LINE_BYTES, head_object, iter_stream_lines

#: Bytes per block (uncompressed files): the most, and the default when the workers are unknown.
DEFAULT_BLOCKSIZE = 64 * 1024 * 1024
#: The least bytes per block chosen by :func:`auto_blocksize` (each task has a fixed cost).
MIN_BLOCKSIZE = 4 * 1024 * 1024
#: Blocks per worker thread that :func:`auto_blocksize` aims for.
TASKS_PER_WORKER = 4
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
        blocks.extend(_file_blocks(fsspec, path, blocksize))
    return blocks


def auto_blocksize(total: int, workers: int) -> int:
    """Bytes per block for ``total`` bytes of native JSONL on ``workers`` worker threads.

    About :data:`TASKS_PER_WORKER` blocks per worker, so that no worker is left with a
    whole extra block at the end (three 64 MB blocks on two workers: one worker does two
    thirds of the work), within [:data:`MIN_BLOCKSIZE`, :data:`DEFAULT_BLOCKSIZE`].
    """
    want = -(-max(total, 1) // (TASKS_PER_WORKER * max(workers, 1)))
    return max(MIN_BLOCKSIZE, min(DEFAULT_BLOCKSIZE, want))


def _split(units: list[Unit], blocksize: int) -> list[Unit]:
    """Cut every uncompressed native block into blocks of at most ``blocksize`` bytes."""
    out: list[Unit] = []
    for kind, what in units:
        if kind != "block" or what[3] or what[2] - what[1] <= blocksize:
            out.append((kind, what))
            continue
        path, start, end, _ = what
        out.extend(
            ("block", (path, at, min(at + blocksize, end), False))
            for at in range(start, end, blocksize)
        )
    return out


def _worker_threads(client: Any) -> int:
    """Threads of the cluster that will run the tasks (the CPUs here when not distributed)."""
    if client is None:
        try:
            from distributed import default_client

            client = default_client()
        except (ImportError, ValueError):  # no distributed, or no active client
            return os.cpu_count() or 1
    return max(1, sum(client.nthreads().values()))


def _file_blocks(fsspec: Any, path: str, blocksize: int) -> list[Block]:
    fs, _, [name] = fsspec.get_fs_token_paths(path)
    size = int(fs.size(name))
    with fs.open(name, "rb") as fh:
        compressed = fh.read(2) == b"\x1f\x8b"
    if compressed or size <= blocksize:
        return [(path, 0, size, compressed)]
    return [
        (path, start, min(start + blocksize, size), False) for start in range(0, size, blocksize)
    ]


# A unit of work: ("block", Block) for native JSONL, ("file", (path, format)) for a
# file read by its reader, ("unknown", (path, problem)) for a file no reader knows.
Unit = tuple[str, Any]


def plan(
    paths: list[str], blocksize: int = DEFAULT_BLOCKSIZE, fmt: str | None = None
) -> tuple[list[Unit], list[dict[str, Any]]]:
    """The units of work for ``paths`` and one ``{path, format}`` per file, in file order.

    Local paths are expanded and their formats told as the local engine does; URLs
    (``scheme://``) are native JSONL.
    """
    _, fsspec = _import_dask()
    units: list[Unit] = []
    sources: list[dict[str, Any]] = []
    local = [p for p in paths if "://" not in p]
    remote = [p for p in paths if "://" in p]
    for path, name, problem in plan_files(local, fmt) if local else []:
        sources.append({"path": path, "format": name})
        if problem is not None:
            units.append(("unknown", (path, problem)))
        elif name == "native":
            units.extend(("block", b) for b in _file_blocks(fsspec, path, blocksize))
        else:
            units.append(("file", (path, name)))
    if remote:
        blocks = plan_blocks(remote, blocksize)
        _check_native(blocks)
        sources.extend({"path": p, "format": "native"} for p in dict.fromkeys(b[0] for b in blocks))
        units.extend(("block", b) for b in blocks)
    return units, sources


def _open(block: Block) -> Any:
    import fsspec

    path, _, _, compressed = block
    return fsspec.open(path, "rb", compression="gzip" if compressed else None).open()


def _count_unit(unit: Unit) -> tuple[int, bool]:
    """:func:`_count_newlines` of a block; nothing to count for a whole file."""
    kind, what = unit
    return _count_newlines(what) if kind == "block" else (0, True)


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


def _scan_unit(args: tuple[Unit, int, int], matcher: Matcher) -> Partial:
    (kind, what), first_line, max_line_bytes = args
    if kind == "block":
        return scan_lines(matcher, _block_lines(what, first_line, max_line_bytes), what[0])
    if kind == "file":
        return scan_records(matcher, what[0], what[1], max_line_bytes)
    part = Partial()
    part.reject(what[0], None, what[1])
    return part


def _shared(matcher: Matcher) -> Any:
    """The matcher as one key of the graph that every scan task depends on.

    Put in each task, it was pickled with every task (0.5 MB for a 134-form signature)
    and unpickled by every task, which rebuilt its lookup tables (40 ms) and started
    an empty normalisation cache. As one key, a distributed worker receives it once
    and its tasks share it (and the cache)."""
    import uuid

    from dask import delayed

    return delayed(matcher, name=f"blast-matcher-{uuid.uuid4().hex}", traverse=False)


def scan_dask(
    matcher: Matcher,
    paths: list[str],
    *,
    blocksize: int | None = None,
    scheduler: str | None = None,
    fmt: str | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> tuple[Partial, list[dict[str, Any]]]:
    """Scan logs of any format with dask: the current ``distributed.Client`` if one is active.

    Args:
        matcher: The incident's matcher (shipped once to each worker that runs a task).
        paths: Files, directories or fsspec URLs (native JSONL).
        blocksize: Bytes per task for uncompressed native JSONL (default
            :func:`auto_blocksize` of the native bytes and the cluster's threads).
        scheduler: A dask scheduler name or address; None uses the active client,
            else dask's default (threads).
        fmt: Force a reader for every local file (auto-detected per file when None).
        max_line_bytes: Longer lines are rejects.

    Returns:
        The merged :class:`Partial` and one ``{path, format}`` per file.

    Raises:
        UsageError: dask is not installed, ``fmt`` names no reader, or a URL is
            not native JSONL.
        InputError: a path is missing, or an explicit file's format cannot be told.
        ExternalError: the cluster failed.
    """
    bag, _ = _import_dask()
    units, sources = plan(paths, blocksize or DEFAULT_BLOCKSIZE, fmt)
    compute: dict[str, Any] = {}
    client = None
    if scheduler:
        if "://" in scheduler:
            from distributed import Client

            client = Client(scheduler, set_as_default=False)
            compute["scheduler"] = client.get
        else:
            compute["scheduler"] = scheduler
    if blocksize is None:
        native = sum(w[2] - w[1] for k, w in units if k == "block" and not w[3])
        named = scheduler and client is None  # "threads", "processes": this machine's CPUs
        threads = (os.cpu_count() or 1) if named else _worker_threads(client)
        units = _split(units, auto_blocksize(native, threads))
    if not units:
        return Partial(), sources
    try:
        counts = (
            bag.from_sequence(units, npartitions=len(units)).map(_count_unit).compute(**compute)
        )
        firsts, lines_before, current = [], 0, None
        for (_kind, what), (count, at_boundary) in zip(units, counts, strict=True):
            if what[0] != current:
                current, lines_before = what[0], 0
            firsts.append(lines_before + (1 if at_boundary else 2))
            lines_before += count
        tasks = [(u, f, max_line_bytes) for u, f in zip(units, firsts, strict=True)]
        parts = (
            bag.from_sequence(tasks, npartitions=len(tasks))
            .map(_scan_unit, _shared(matcher))
            .compute(**compute)
        )
    except (OSError, UsageError):
        raise
    except Exception as exc:  # a worker died, the scheduler went away, ...
        raise ExternalError(f"the Dask computation failed: {type(exc).__name__}: {exc}") from None
    total = Partial()
    for part in parts:
        total.merge(part)
    return total, sources


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
                f"{path} is not trajectory/v1 JSONL; the Dask engine reads only that format "
                "from a URL (the readers open local files)",
                hint="copy it to a local path, or convert it with 'incident_lab snapshot "
                "--from FILE' and scan trajectories.jsonl",
            )
