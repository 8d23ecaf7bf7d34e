"""Check files left by killed appenders (tests/write_kill_append.rs) with h5py.

Usage: check_killed_append.py FIXTURE FILE ACKED [FILE ACKED ...]. Each file must open,
keep the fixture's rows, and hold at least ACKED appended rows of the expected values.
"""
import sys

import h5py
import numpy as np

ROWS = "/Raw_datas/Scan000/earray_rows"
ONE_D = "/Raw_datas/Scan000/earray_1d_uint16"
fixture, args = sys.argv[1], sys.argv[2:]
with h5py.File(fixture, "r") as o:
    old_rows, old_1d = o[ROWS][:], o[ONE_D][:]
for path, acked in zip(args[::2], args[1::2]):
    acked = int(acked)
    with h5py.File(path, "r") as f:
        r, one = f[ROWS][:], f[ONE_D][:]
        if not np.array_equal(r[: len(old_rows)], old_rows) or not np.array_equal(one[: len(old_1d)], old_1d):
            sys.exit(f"{path}: old rows changed")
        n, n1 = len(r) - len(old_rows), len(one) - len(old_1d)
        if min(n, n1) < acked:
            sys.exit(f"{path}: {n}/{n1} rows < {acked} acknowledged")
        want = 1e6 + np.repeat(np.arange(n, dtype="f8")[:, None], 8, axis=1)
        if not np.array_equal(r[len(old_rows):], want):
            sys.exit(f"{path}: torn or wrong rows")
        if not np.array_equal(one[len(old_1d):], np.arange(n1) % 60000):
            sys.exit(f"{path}: wrong 1-D rows")
        f.visititems(lambda name, obj: obj[()] if isinstance(obj, h5py.Dataset) else None)
print("OK")
