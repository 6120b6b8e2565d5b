"""Atomic outputs: write under a temporary name in the target's folder, rename when done.

A killed or failing job leaves no file under the final name, so neither Snakemake nor
DVC can mistake a half-written artefact for a finished one, and an earlier file of that
name stays as it was. A write that fails (a full disk, a file-size limit) is an error that
names the file; a temporary file that a killed job left behind is removed by the next
write of the same artefact.
"""
from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from pathlib import Path

# how h5py ("unable to extend file ... errno = 28") and torch ("unexpected pos", "failed writing")
# word a failed write in a RuntimeError; any other RuntimeError is not ours to rename
WRITE_FAILURES = ("errno", "unexpected pos", "failed writing", "file too large", "no space")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds."""
    from balancebc.errors import BalanceBCError
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):  # one job writes an artefact at a time
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and not any(m in str(exc).lower() for m in WRITE_FAILURES):
            raise
        raise BalanceBCError(f"{path}: writing it failed ({str(exc)[:300]}); if the disk is full or a file-size "
                             "limit was reached, make room and rerun: nothing was replaced") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path: str | os.PathLike, data) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def read_json(path: str | os.PathLike, what: str = "file"):
    from balancebc.errors import BalanceBCError
    path = Path(path)
    if not path.is_file():
        raise BalanceBCError(f"{path}: {what} not found")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BalanceBCError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
