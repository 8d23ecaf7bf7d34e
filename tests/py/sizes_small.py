"""Files with narrow sizes of offsets and lengths (H5Pset_sizes), for
tests/write_continue_sizes.rs: 2-byte offsets address 64 KiB files only, so these hold a
small workload of their own (tests/py/fcpl_variants.py has the 4- and 8-byte ones).

Usage:
  sizes_small.py gen DIR          write every variant into DIR, print their names (JSON)
  sizes_small.py check DIR STAGE NAME...
      STAGE 0: as h5py made it; 1: after our writer's session (see the test); 2: after a
      session our writer refused part of (a write past the 64 KiB the offsets address):
      the file holds session 1 and the rows committed before the refusal.
      h5py reads every value and attribute, h5dump reads the file.
  Prints "ok N" or exits 1 listing every difference.
"""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
from fcpl_variants import create

VARIANTS = {
    "s2_2": (2, 2, "earliest"),
    "s2_4": (2, 4, "earliest"),
    "s2_8": (2, 8, "earliest"),
    "s4_2": (4, 2, "earliest"),
    "s2_8_latest": (2, 8, "latest"),
    # Dense storage needs lengths of 4 bytes at least: these (and s2_4) also get a big
    # attribute (a huge object of a fractal heap) and 12 more, past the compact limit.
    "s4_4": (4, 4, "earliest"),
    "s4_8_latest": (4, 8, "latest"),
}


def gen(d):
    os.makedirs(d, exist_ok=True)
    names = []
    for name, (a, s, low) in VARIANTS.items():
        path = os.path.join(d, name + ".h5")
        with create(path, dict(sizes=(a, s), low=low)) as f:
            f.attrs["title"] = f"sizes {name}"
            g = f.create_group("g")
            g.attrs["n"] = np.int64(7)
            g.create_dataset("rows", data=np.arange(15, dtype="<i4").reshape(5, 3),
                             maxshape=(None, 3), chunks=(2, 3))
            g.create_dataset("contig", data=np.arange(20, dtype="<f8") * 0.5)
            g.create_dataset("gz", data=np.arange(30, dtype="<i2"), maxshape=(None,),
                             chunks=(8,), compression="gzip")
            g.create_dataset("names", data=["alpha", "beta"], dtype=h5py.string_dtype(),
                             maxshape=(None,), chunks=(4,))
        names.append(name)
    print(json.dumps(names))


def expected(name, stage):
    rows = np.arange(15, dtype="<i4").reshape(5, 3)
    dsets = {
        "/g/contig": np.arange(20, dtype="<f8") * 0.5,
        "/g/gz": np.arange(30, dtype="<i2"),
    }
    names = ["alpha", "beta"]
    attrs = {"/": {"title": f"sizes {name}"}, "/g": {"n": 7}}
    groups = []
    if stage >= 1:
        # Our session (tests/write_continue_sizes.rs).
        rows = np.concatenate([rows, np.arange(100, 160, dtype="<i4").reshape(20, 3)])
        dsets["/g/gz"] = np.concatenate([dsets["/g/gz"], np.arange(500, 510, dtype="<i2")])
        names += ["gamma", "", "delta epsilon"]
        dsets["/ours/d"] = np.arange(40, dtype="<f8") * 0.25
        dsets["/ours/fixed"] = np.arange(12, dtype="<i8").reshape(3, 4)
        attrs["/"]["cont"] = "continued"
        attrs["/g"]["vlen"] = "a vlen string attribute"
        attrs["/g/rows"] = {"cont": "rows continued"}
        attrs["/ours"] = {"note": "new", "arr": [1.5, 2.5]}
        groups = [f"/ours/sub{i}" for i in range(5)]
        if name in ("s4_4", "s4_8_latest", "s2_4"):
            n = 1000 if name.startswith("s2_") else 20000
            attrs["/ours"]["big"] = (np.arange(n, dtype="<f8") * 0.5).tolist()
            for i in range(12):
                attrs["/ours"][f"a{i:02}"] = f"attribute {i}"
        if name.endswith("latest"):
            # Links past the compact limit of 8: dense links (fractal heap, v2 B-trees).
            groups += [f"/ours/sub{i}" for i in range(5, 20)]
    if stage >= 2:
        # The refused session: rows committed by its first flush, then a refused write.
        rows = np.concatenate([rows, np.arange(900, 906, dtype="<i4").reshape(2, 3)])
    dsets["/g/rows"] = rows
    return dsets, names, attrs, groups


def same(a, b):
    if isinstance(b, list):
        return list(np.asarray(a).tolist()) == b
    if isinstance(a, (bytes, np.bytes_)):
        a = a.decode()
    return a == b


def check(d, stage, names):
    errs = []
    for name in names:
        path = os.path.join(d, name + ".h5")
        dsets, vnames, attrs, groups = expected(name, stage)
        try:
            with h5py.File(path, "r") as f:
                for p, want in dsets.items():
                    got = f[p][()]
                    if got.shape != want.shape or not np.array_equal(got, want):
                        errs.append(f"{name} stage {stage}: {p} = {got!r}")
                got = [x.decode() for x in f["/g/names"][()]]
                if got != vnames:
                    errs.append(f"{name} stage {stage}: /g/names = {got}")
                for p, want in attrs.items():
                    for k, v in want.items():
                        if k not in f[p].attrs or not same(f[p].attrs[k], v):
                            errs.append(f"{name} stage {stage}: {p}@{k} = "
                                        f"{f[p].attrs.get(k)!r}, want {v!r}")
                for p in groups:
                    if not isinstance(f.get(p), h5py.Group):
                        errs.append(f"{name} stage {stage}: {p} missing")
        except Exception as e:  # noqa: BLE001
            errs.append(f"{name} stage {stage}: {type(e).__name__}: {e}")
        h5dump = shutil.which("h5dump")
        # h5dump 1.10 cannot read the format 'latest' makes with h5py's HDF5 2.x.
        if h5dump and VARIANTS[name][2] != "latest":
            r = subprocess.run([h5dump, path], capture_output=True, text=True)
            if r.returncode != 0:
                errs.append(f"{name} stage {stage}: h5dump exit {r.returncode}: "
                            f"{r.stderr[-300:]}")
    if errs:
        print("\n".join(errs))
        sys.exit(1)
    print(f"ok {len(names)}")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        check(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
