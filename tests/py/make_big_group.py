"""Write an h5py file (default profile: superblock v0, symbol-table groups) with a group of
1000 members, for tests/write_reopen_group_space.rs. Usage: make_big_group.py OUT.h5

  /big  m0000 .. m0999: every 10th an int32 dataset holding [i], the 9 after it hard
        links to it (libhdf5 splits its B-tree: ~170 half-full SNODs, an internal level)
"""
import sys

import h5py
import numpy as np

with h5py.File(sys.argv[1], "w") as f:
    g = f.create_group("big")
    last = None
    for i in range(1000):
        name = "m%04d" % i
        if i % 10 == 0:
            last = g.create_dataset(name, data=np.array([i], dtype=np.int32))
        else:
            g[name] = last
