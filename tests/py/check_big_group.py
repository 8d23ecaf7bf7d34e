"""Check a /big group of 1000 members (tests/py/make_big_group.py, PyTables' pt_big_group)
after N sessions of tests/write_reopen_group_space.rs, each of which added the group
/big/zzKK with the attribute k = KK and set /big/m0010@rev = KK.
Usage: check_big_group.py FILE.h5 N. Prints "ok" or the first difference (exit 1).
"""
import sys

import h5py
import numpy as np

path, n = sys.argv[1], int(sys.argv[2])
with h5py.File(path, "r") as f:
    g = f["big"]
    want = ["m%04d" % i for i in range(1000)] + ["zz%02d" % k for k in range(n)]
    got = list(g.keys())
    if got != want:
        sys.exit("members: %d, want %d; first difference %r" % (
            len(got), len(want), next((a, b) for a, b in zip(got + [None] * len(want), want) if a != b)))
    for i in range(1000):
        v = g["m%04d" % i][()]
        if not np.array_equal(v, np.array([i - i % 10], dtype=np.int32)):
            sys.exit("m%04d = %r" % (i, v))
    for k in range(n):
        z = g["zz%02d" % k]
        if not isinstance(z, h5py.Group) or len(z) != 0 or int(z.attrs["k"]) != k:
            sys.exit("zz%02d: %r %r" % (k, z, dict(z.attrs)))
    if n and int(g["m0010"].attrs["rev"]) != n - 1:
        sys.exit("m0010@rev = %r" % g["m0010"].attrs["rev"])
print("ok")
