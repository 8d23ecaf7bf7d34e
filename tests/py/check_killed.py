"""Check files left by killed writers (tests/write_kill.rs) with h5py.

Usage: check_killed.py [--swmr] FILE ACKED [FILE ACKED ...]. Each file must open, and
both datasets must hold at least ACKED rows, row i being i everywhere. With --swmr (files
of the HDF5 1.10 profile) each file is also opened in `swmr=True` read mode.
"""
import sys

import h5py
import numpy as np

args = sys.argv[1:]
modes = (False,)
if args and args[0] == "--swmr":
    args, modes = args[1:], (False, True)
for (path, acked), swmr in [(pa, m) for pa in zip(args[::2], args[1::2]) for m in modes]:
    acked = int(acked)
    with h5py.File(path, "r", swmr=swmr) as f:
        for name in ("/z", "/u"):
            d = f[name][:]
            n = d.shape[0]
            if n < acked:
                sys.exit(f"{path}{name}: {n} rows < {acked} acknowledged")
            want = np.repeat(np.arange(n, dtype="f8")[:, None], 3, axis=1)
            if not np.array_equal(d, want):
                sys.exit(f"{path}{name}: torn or wrong rows")
print("OK")
