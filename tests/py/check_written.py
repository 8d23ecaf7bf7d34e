"""Check the fixed file tests/write_interop.rs writes (in either profile) with h5py AND PyTables.

Usage: check_written.py FILE.h5. Exits non-zero with a message on the first mismatch.
"""
import sys

import h5py
import numpy as np
import tables

p = sys.argv[1]


def eq(a, b, what):
    if not np.array_equal(np.asarray(a), np.asarray(b)):
        sys.exit(f"{what}: {a!r} != {b!r}")


with h5py.File(p, "r") as f:
    ea = f["/RawData/EArray"]
    eq(ea.shape, (50, 4), "earray shape")
    eq(ea[:], np.arange(200.0).reshape(50, 4), "earray values")
    eq(ea.chunks, (8, 4), "earray chunks")
    eq(ea.maxshape, (None, 4), "earray maxshape")
    assert ea.compression == "gzip" and ea.shuffle, "earray filters"
    ca = f["/RawData/CArray"]
    want = np.zeros((10, 10), "i4")
    want[2:7, 3:9] = np.arange(30).reshape(5, 6)
    want[9, :] = -1
    eq(ca[:], want, "carray values")
    assert ca.fletcher32, "fletcher32"
    eq(f["/Array"][:], np.arange(5, dtype="u2") * 3, "array")
    eq(f["/Compact"][:], np.array([1, -2, 3], "i1"), "compact")
    eq(f["/Fill"][:], np.full((3, 3), 7.5), "fill")
    vl = f["/Log"]
    rows = [bytes(r) for r in vl[:]]
    eq(len(rows), 3, "vlarray length")
    assert rows == [b"", b"abc", b"hello" * 100], rows
    a = f["/RawData"].attrs
    assert a["s"] == "h\u00e9llo".encode(), a["s"]
    assert isinstance(a["empty"], h5py.Empty), a["empty"]
    assert a["vs"] == "vlen str", a["vs"]
    assert a["i"] == 42 and a["f"] == 1.5, (a["i"], a["f"])
    eq(a["ia"], [1, 2, 3], "ia")
    eq(a["fa"], [0.5, 1.5], "fa")
    assert a["i"] == 42
    assert a["over"] == b"second", a["over"]
    many = f["/Many"]
    assert len(many) == 300, len(many)
    for i in (0, 1, 150, 299):
        assert f"g{i:03d}" in many, i
    assert f["/Many/g123"].attrs["k"] == 123

t = tables.open_file(p)
try:
    cls = {n._v_pathname: n._v_attrs.CLASS for n in t.walk_nodes("/") if "CLASS" in n._v_attrs}
    for path, want in {
        "/": "GROUP",
        "/RawData": "GROUP",
        "/RawData/EArray": "EARRAY",
        "/RawData/CArray": "CARRAY",
        "/Array": "ARRAY",
        "/Log": "VLARRAY",
    }.items():
        node = t.get_node(path)
        kind = type(node).__name__
        expect = {"GROUP": ("Group", "RootGroup"), "EARRAY": ("EArray",), "CARRAY": ("CArray",),
                  "ARRAY": ("Array",), "VLARRAY": ("VLArray",)}[want]
        assert kind in expect, (path, kind)
    eq(t.get_node("/RawData/EArray")[:], np.arange(200.0).reshape(50, 4), "pytables earray")
    assert t.get_node("/RawData")._v_attrs["s"] == "h\u00e9llo"
    assert [bytes(r) for r in t.get_node("/Log")[:]] == [b"", b"abc", b"hello" * 100]
finally:
    t.close()
print("OK")
