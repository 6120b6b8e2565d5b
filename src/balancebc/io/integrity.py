"""Corruption checks that a stage runs on its inputs before it uses them, so that a flipped
byte in a dataset or a checkpoint is an error naming the file instead of a quietly
different result downstream.

- Datasets (``io.robomimic_hdf5.write_dataset``) are written with HDF5's Fletcher-32
  checksum on every array and with checksummed metadata (object headers of HDF5 1.10's
  format); ``verify_hdf5`` reads every array once, which checks them all. Files written
  elsewhere (a user's robomimic file) are read the same way, but without checksums only
  a damaged structure can be found.
- Checkpoints are torch's zip archives, which keep a CRC-32 per entry; ``torch.load``
  does not check them, ``verify_checkpoint`` does.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import h5py

from balancebc.errors import BalanceBCError

FIX = "the file is damaged; delete it and rerun the stage that makes it"


def verify_hdf5(*files: str | Path) -> None:
    """Read every array of each HDF5 file (its checksums are checked on read)."""
    for path in files:
        _verify_hdf5(path)


def _verify_hdf5(path: str | Path) -> None:
    if not Path(path).is_file():
        raise BalanceBCError(f"{path}: file not found (run the stage that makes it first)")
    def read(name, node):
        if isinstance(node, h5py.Dataset):
            try:
                node[()]
            except OSError as exc:
                raise BalanceBCError(f"{path}: {name} cannot be read back ({str(exc).split('(')[0].strip()}): "
                                     f"{FIX}") from None
    try:
        with h5py.File(path, "r") as f:
            f.visititems(read)
    except OSError as exc:
        raise BalanceBCError(f"{path}: not a readable HDF5 file ({str(exc).split('(')[0].strip()}): {FIX}") from None


def verify_checkpoint(path: str | Path) -> None:
    """Check every entry of the torch checkpoint at ``path`` against its CRC-32."""
    try:
        with zipfile.ZipFile(path) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError) as exc:
        raise BalanceBCError(f"{path}: not a readable torch checkpoint ({exc}): {FIX}") from None
    if bad is not None:
        raise BalanceBCError(f"{path}: entry {bad} fails its CRC-32 check: {FIX}")

