"""Check a file written by tests/write_interop.rs (its random 1.10 trees) in the HDF5 1.10 profile against
the expectations JSON written next to it, value by value: with h5py (normal and
`swmr=True` read mode) and with PyTables.

Usage: check_written_v110.py FILE.h5 EXPECT.json. Exits non-zero on the first mismatch.
"""
import json
import sys

import h5py
import numpy as np
import tables

path, exp_path = sys.argv[1], sys.argv[2]
with open(exp_path) as fh:
    exp = json.load(fh)


def fail(msg):
    sys.exit(msg)


def same_attr(got, want, what):
    kind, v = want["kind"], want["value"]
    if kind == "str":
        ok = got == v.encode() if isinstance(got, bytes) else got == v
    elif kind == "vlenstr":
        ok = got == v
    elif kind in ("i64", "f64"):
        ok = np.asarray(got).shape == () and got == v
    else:  # arrays
        ok = np.array_equal(np.asarray(got), np.asarray(v))
    if not ok:
        fail(f"{what}: {got!r} != {want!r}")


for swmr in (False, True):
    mode = "swmr" if swmr else "normal"
    with h5py.File(path, "r", swmr=swmr) as f:
        if f.id.get_create_plist().get_version()[0] != 3:
            fail(f"{mode}: superblock version {f.id.get_create_plist().get_version()}")
        seen = {"/": "group"}
        f.visititems(lambda n, o: seen.__setitem__(
            "/" + n, "group" if isinstance(o, h5py.Group) else "dataset"))
        want_nodes = {g: "group" for g in exp["groups"]}
        want_nodes.update({d: "dataset" for d in exp["datasets"]})
        if seen != want_nodes:
            extra = set(seen.items()) ^ set(want_nodes.items())
            fail(f"{mode}: node sets differ: {sorted(extra)[:10]}")
        for p, d in exp["datasets"].items():
            ds = f[p]
            if tuple(ds.shape) != tuple(d["shape"]):
                fail(f"{mode} {p}: shape {ds.shape} != {d['shape']}")
            if d["dtype"] == "vlen_u8":
                rows = [bytes(r) for r in ds[...]]
                if rows != [bytes(r) for r in d["values"]]:
                    fail(f"{mode} {p}: vlen rows differ")
                continue
            if ds.dtype != np.dtype(d["dtype"]):
                fail(f"{mode} {p}: dtype {ds.dtype} != {d['dtype']}")
            want = np.array(d["values"], dtype=d["dtype"]).reshape(d["shape"])
            got = ds[...]
            if not np.array_equal(got, want):
                fail(f"{mode} {p}: values differ\n{got}\n{want}")
            if d.get("chunks") and tuple(ds.chunks) != tuple(d["chunks"]):
                fail(f"{mode} {p}: chunks {ds.chunks} != {d['chunks']}")
        for p, attrs in exp["attrs"].items():
            a = f[p].attrs
            for name, want in attrs.items():
                if name not in a:
                    fail(f"{mode} {p}: attribute {name} missing ({list(a)})")
                same_attr(a[name], want, f"{mode} {p}@{name}")
            if len(a) < len(attrs):
                fail(f"{mode} {p}: {len(a)} attributes < {len(attrs)}")

t = tables.open_file(path)
try:
    for p, d in exp["datasets"].items():
        node = t.get_node(p)
        if type(node).__name__ == "UnImplemented":
            fail(f"PyTables {p}: UnImplemented")
        if d["dtype"] == "vlen_u8":
            rows = [bytes(np.asarray(r, dtype="u1")) for r in node.read()]
            if rows != [bytes(r) for r in d["values"]]:
                fail(f"PyTables {p}: vlen rows differ")
            continue
        want = np.array(d["values"], dtype=d["dtype"]).reshape(d["shape"])
        got = node.read()
        if not np.array_equal(np.asarray(got), want):
            fail(f"PyTables {p}: values differ")
        if "class" in d and type(node).__name__ != d["class"]:
            fail(f"PyTables {p}: class {type(node).__name__} != {d['class']}")
    for g in exp["groups"]:
        if type(t.get_node(g)).__name__ not in ("Group", "RootGroup"):
            fail(f"PyTables {g}: not a group")
finally:
    t.close()
print("OK")
