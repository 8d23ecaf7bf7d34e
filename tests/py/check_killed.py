"""Check files left by killed writers (tests/write_kill.rs) with h5py.

Usage: check_killed.py FILE ACKED [FILE ACKED ...]. Each file must open, and both
datasets must hold at least ACKED rows, row i being i everywhere.
"""
import sys

import h5py
import numpy as np

args = sys.argv[1:]
for path, acked in zip(args[::2], args[1::2]):
    acked = int(acked)
    with h5py.File(path, "r") as f:
        for name in ("/z", "/u"):
            d = f[name][:]
            n = d.shape[0]
            if n < acked:
                sys.exit(f"{path}{name}: {n} rows < {acked} acknowledged")
            want = np.repeat(np.arange(n, dtype="f8")[:, None], 3, axis=1)
            if not np.array_equal(d, want):
                sys.exit(f"{path}{name}: torn or wrong rows")
print("OK")
