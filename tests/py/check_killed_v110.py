"""Check files of tests/write_kill_append.rs (second half): h5py (normal, and swmr=True for
superblock-v3 files) opens each,
/g/scan holds at least 5 + ACKED rows, row i = [3i, 3i+1, 3i+2]; /g/empty row j = [j]*3.

Usage: check_killed_v110.py FILE ACKED [FILE ACKED ...]. Prints "ok".
"""
import sys

import h5py
import numpy as np

args = sys.argv[1:]
for path, acked in zip(args[::2], args[1::2]):
    # SWMR reads need the 1.10 format (superblock v3); v0 files are read normally.
    with open(path, "rb") as fh:
        v3 = fh.read(9)[8] >= 3
    for swmr in (False, True) if v3 else (False,):
        with h5py.File(path, "r", swmr=swmr) as f:
            s = f["g/scan"][...]
            if s.shape[0] < 5 + int(acked):
                sys.exit(f"{path} swmr={swmr}: {s.shape[0]} rows < 5 + {acked}")
            want = np.arange(3 * s.shape[0], dtype="f8").reshape(-1, 3)
            if not np.array_equal(s, want):
                sys.exit(f"{path} swmr={swmr}: /g/scan rows differ")
            e = f["g/empty"][...]
            if not np.array_equal(e, np.repeat(np.arange(e.shape[0], dtype="f8"), 3).reshape(-1, 3)):
                sys.exit(f"{path} swmr={swmr}: /g/empty rows differ")
print("ok")
