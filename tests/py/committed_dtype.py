"""Committed (named) datatype reference counts, for tests/write_committed_dtype.rs.

  committed_dtype.py make OUT.h5 LIBVER   (earliest: v1 headers; latest: v2 headers)
      /t  a committed <f8 datatype; /g with attributes a = 1.5 and b = 2.5 of type /t;
      /d  a dataset [1, 2] of type /t. /t's reference count: 4 (its link, a, b, d).
  committed_dtype.py check FILE.h5
      prints JSON: /t's reference count (libhdf5's), /g's attributes, /d's values.
"""
import json
import sys

import h5py
import numpy as np

if sys.argv[1] == "make":
    with h5py.File(sys.argv[2], "w", libver=sys.argv[3]) as f:
        f["t"] = np.dtype("<f8")
        t = f["t"]
        g = f.create_group("g")
        g.attrs.create("a", 1.5, dtype=t)
        g.attrs.create("b", 2.5, dtype=t)
        f.create_dataset("d", data=[1.0, 2.0], dtype=t)
else:
    with h5py.File(sys.argv[2], "r") as f:
        rc = h5py.h5o.get_info(f["t"].id).rc
        attrs = {k: np.asarray(v).tolist() for k, v in f["g"].attrs.items()}
        print(json.dumps({"rc": rc, "attrs": attrs, "d": f["d"][()].tolist()}))
