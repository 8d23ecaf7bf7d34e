"""Files for tests/write_reopen_v110.rs and their checks.

  reopen_v110.py gen DIR      h5py libver='latest' (latest.h5, paged.h5, narrow.h5 with
                              4-byte offsets), SWMR-written (swmr.h5) and superblock-v0
                              (v0_k_narrow.h5: 4-byte sizes, K 8/2/16) files: /g/scan float64 (n,3) unlimited rows, chunks (4,3)
                              (extensible array), /g/zscan int32 (n,) gzip+shuffle
                              (extensible array, filtered), /g/fixed float32 (10,) chunks (4,)
                              (fixed array), attribute /g@a.
  reopen_v110.py check FILE EXPECT.json
                              h5py, normal and swmr=True: every dataset's shape and values,
                              every listed attribute and group listing. Prints "ok".
"""
import json
import sys

import h5py
import numpy as np


def gen(d):
    # latest.h5, and paged.h5: the same file with paged aggregation (4 KiB pages, persisted
    # free space), which the writer continues with whole pages per allocation.
    for name, kw in (("latest", {}),
                     ("paged", dict(fs_strategy="page", fs_persist=True, fs_page_size=4096))):
        with h5py.File(f"{d}/{name}.h5", "w", libver="latest", **kw) as f:
            fill(f)
    gen_swmr(d)
    # For the kill campaign: the same content with 4-byte offsets ('latest'), and in the
    # PyTables family (superblock v0) with 4-byte offsets and lengths and B-tree K values
    # other than HDF5's (group 8/2, chunks 16).
    from fcpl_variants import create
    for name, kw in (("narrow", dict(sizes=(4, 8), low="latest")),
                     ("v0_k_narrow", dict(sizes=(4, 4), sym_k=(8, 2), istore_k=16))):
        with create(f"{d}/{name}.h5", kw) as f:
            fill(f)


def fill(f):
    g = f.create_group("g")
    g.attrs["a"] = 1
    s = g.create_dataset("scan", shape=(5, 3), maxshape=(None, 3), chunks=(4, 3), dtype="f8")
    s[...] = np.arange(15, dtype="f8").reshape(5, 3)
    z = g.create_dataset("zscan", shape=(6,), maxshape=(None,), chunks=(4,), dtype="i4",
                         compression="gzip", shuffle=True)
    z[...] = np.arange(6, dtype="i4") * 10
    x = g.create_dataset("fixed", shape=(10,), chunks=(4,), dtype="f4")
    x[:5] = np.arange(5, dtype="f4")
    g.create_dataset("empty", shape=(0, 3), maxshape=(None, 3), chunks=(4, 3), dtype="f8")


def gen_swmr(d):
    f = h5py.File(f"{d}/swmr.h5", "w", libver="latest")
    g = f.create_group("g")
    g.attrs["a"] = 1
    s = g.create_dataset("scan", shape=(0, 3), maxshape=(None, 3), chunks=(4, 3), dtype="f8")
    z = g.create_dataset("zscan", shape=(0,), maxshape=(None,), chunks=(4,), dtype="i4",
                         compression="gzip", shuffle=True)
    x = g.create_dataset("fixed", shape=(10,), chunks=(4,), dtype="f4")
    x[:5] = np.arange(5, dtype="f4")
    g.create_dataset("empty", shape=(0, 3), maxshape=(None, 3), chunks=(4, 3), dtype="f8")
    f.swmr_mode = True
    for i in range(5):
        s.resize((i + 1, 3))
        s[i] = np.arange(3 * i, 3 * i + 3, dtype="f8")
        s.flush()
    z.resize((6,))
    z[...] = np.arange(6, dtype="i4") * 10
    z.flush()
    f.close()


def check(path, exp_path):
    with open(exp_path) as fh:
        exp = json.load(fh)
    for swmr in (False, True):
        with h5py.File(path, "r", swmr=swmr) as f:
            for p, want in exp["datasets"].items():
                d = f[p]
                if list(d.shape) != want["shape"]:
                    sys.exit(f"swmr={swmr} {p}: shape {d.shape} != {want['shape']}")
                got = d[...].ravel().tolist()
                if got != want["values"]:
                    sys.exit(f"swmr={swmr} {p}: {got[:20]} != {want['values'][:20]}")
            for p, attrs in exp.get("attrs", {}).items():
                for k, v in attrs.items():
                    got = f[p].attrs[k]
                    got = got.tolist() if hasattr(got, "tolist") else got
                    if isinstance(got, bytes):
                        got = got.decode()
                    if got != v:
                        sys.exit(f"swmr={swmr} {p}@{k}: {got!r} != {v!r}")
            for p, members in exp.get("groups", {}).items():
                if list(f[p].keys()) != members:
                    sys.exit(f"swmr={swmr} {p}: {list(f[p].keys())} != {members}")
    print("ok")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
