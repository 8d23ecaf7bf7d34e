"""Check the files tests/write_append_existing.rs extended with Writer::open, with h5py AND
PyTables: the new rows/objects/attributes have the expected values and shapes, and every
dataset and attribute of the original fixture not deliberately changed reads unchanged.

Usage: check_appended.py DIR FIXTURES_DIR. Exits non-zero with a message on a mismatch.
"""
import os
import sys
import warnings

import h5py
import numpy as np
import tables

warnings.filterwarnings("ignore")
d, fx = sys.argv[1], sys.argv[2]
SCAN = "/Raw_datas/Scan000"


def fail(msg):
    sys.exit(msg)


def same(a, b):
    if isinstance(a, np.ndarray) and a.dtype == object:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, h5py.Empty) or isinstance(b, h5py.Empty):
        return type(a) is type(b)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "fc":
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a.shape == b.shape and np.array_equal(a, b)


def eq(a, b, what):
    if not same(a, b):
        fail(f"{what}: {a!r} != {b!r}")


def deref(v, f):
    """Object references compare by the path they point to (the files differ)."""
    if isinstance(v, h5py.Reference):
        return f[v].name if v else None
    if isinstance(v, np.ndarray) and v.dtype == object and any(isinstance(x, h5py.Reference) for x in v.flat):
        return np.array([deref(x, f) for x in v.flat], dtype=object)
    return v


def old_unchanged(name, touched):
    """Every dataset/attribute of the fixture reads the same in the extended copy."""
    with h5py.File(os.path.join(fx, name), "r") as o, h5py.File(os.path.join(d, name), "r") as n:
        def visit(path, obj):
            p = "/" + path
            if isinstance(obj, h5py.Dataset) and p not in touched:
                try:
                    want = obj[()]
                except OSError:
                    return  # unreadable in the fixture too (filter plugin missing)
                eq(deref(n[p][()], n), deref(want, o), f"{name}:{p} data")
                eq(n[p].shape, obj.shape, f"{name}:{p} shape")
            for k in obj.attrs:
                if f"{p}@{k}" in touched:
                    continue
                try:
                    want = obj.attrs[k]
                except OSError:
                    continue
                eq(deref(n[p].attrs[k], n), deref(want, o), f"{name}:{p}@{k}")

        visit("", o)
        o.visititems(lambda path, obj: visit(path, obj) if not isinstance(obj, h5py.Datatype) else None)


def pytables_reads(name):
    t = tables.open_file(os.path.join(d, name))
    try:
        n = 0
        for node in t.walk_nodes("/"):
            n += 1
            if isinstance(node, tables.Leaf) and not isinstance(node, tables.UnImplemented):
                try:
                    node.read()
                except (tables.HDF5ExtError, ValueError, OSError, TypeError):
                    pass  # blosc etc.: same as in the fixture
        return n
    finally:
        t.close()


# ---- pt_carray_zoo.h5 -------------------------------------------------------------
name = "pt_carray_zoo.h5"
touched = {f"{SCAN}/{x}" for x in ("earray_rows", "earray_1d_uint16", "earray_empty",
                                    "carray_zlib5_shuffle", "carray_nofilter",
                                    "carray_never_written")}
touched |= {f"{SCAN}/earray_rows@TITLE", f"{SCAN}/table_small", f"{SCAN}/table_small@NROWS"}
old_unchanged(name, touched)
with h5py.File(os.path.join(fx, name), "r") as o, h5py.File(os.path.join(d, name), "r") as f:
    er = f[f"{SCAN}/earray_rows"]
    eq(er.shape, (225, 8), "earray_rows shape")
    eq(er[:200], o[f"{SCAN}/earray_rows"][:], "earray_rows old rows")
    eq(er[200:], 1000.0 + np.arange(200.0).reshape(25, 8), "earray_rows new rows")
    e1 = f[f"{SCAN}/earray_1d_uint16"]
    eq(e1[:300], o[f"{SCAN}/earray_1d_uint16"][:], "earray_1d old")
    eq(e1[300:], 60000 + np.arange(10, dtype="u2"), "earray_1d new")
    eq(f[f"{SCAN}/earray_empty"][:], -np.arange(15.0).reshape(5, 3), "earray_empty")
    want = o[f"{SCAN}/carray_zlib5_shuffle"][:]
    want[5:10, 3:20] = 7.25
    eq(f[f"{SCAN}/carray_zlib5_shuffle"][:], want, "carray_zlib5_shuffle")
    want = o[f"{SCAN}/carray_nofilter"][:]
    want[0:3, 5:9] = -9
    eq(f[f"{SCAN}/carray_nofilter"][:], want, "carray_nofilter")
    want = o[f"{SCAN}/carray_never_written"][:]
    want[2:4, 2:4] = 3.5
    eq(f[f"{SCAN}/carray_never_written"][:], want, "carray_never_written")
    eq(f["/Raw_datas/Scan001/data"][:], np.arange(1.0, 7.0).reshape(2, 3), "Scan001/data")
    eq(f[f"{SCAN}/new_array"][:], [1, 2, 3, 4], "new_array")
    ts = f[f"{SCAN}/table_small"]
    eq(ts.shape, (5,), "table_small shape")
    eq(ts[:3], o[f"{SCAN}/table_small"][:], "table_small old rows")
    assert ts[3] == ts[0] and ts[4] == ts[0], ts[:]
    assert ts.attrs["NROWS"] == 5, ts.attrs["NROWS"]
    assert f.attrs["appended_by"] == b"pymodaq-h5", f.attrs["appended_by"]
    assert er.attrs["TITLE"] == b"rows+", er.attrs["TITLE"]
    assert er.attrs["n_appended"] == 25
    for i in range(30):
        eq(f[SCAN].attrs[f"extra{i}"], np.full(8, float(i)), f"extra{i}")
t = tables.open_file(os.path.join(d, name))
try:
    er = t.get_node(f"{SCAN}/earray_rows")
    assert isinstance(er, tables.EArray) and er.nrows == 225, er
    eq(er[-1], 1000.0 + np.arange(192.0, 200.0), "PyTables earray last row")
    assert er.title == "rows+", er.title
    g = t.get_node("/Raw_datas/Scan001")
    assert isinstance(g, tables.Group) and g._v_title == "appended scan", g
    nd = t.get_node("/Raw_datas/Scan001/data")
    assert isinstance(nd, tables.EArray) and nd.nrows == 2, nd
    na = t.get_node(f"{SCAN}/new_array")
    assert isinstance(na, tables.Array), na
    assert t.get_node(f"{SCAN}/earray_empty").nrows == 5
    tb = t.get_node(f"{SCAN}/table_small")
    assert isinstance(tb, tables.Table) and tb.nrows == 5, tb
    assert tb[4] == tb[0]
finally:
    t.close()
pytables_reads(name)

# ---- pt_vlarray.h5 ----------------------------------------------------------------
name = "pt_vlarray.h5"
old_unchanged(name, {"/logger/float64_rows", "/logger/pickles_uint8", "/logger/never_written"})
with h5py.File(os.path.join(fx, name), "r") as o, h5py.File(os.path.join(d, name), "r") as f:
    a = f["/logger/float64_rows"]
    b = o["/logger/float64_rows"]
    eq(a.shape, (b.shape[0] + 2,), "float64_rows shape")
    eq(a[: b.shape[0]], b[:], "float64_rows old")
    eq(a[-2], [1.5, 2.5], "float64_rows new")
    eq(a[-1], np.zeros(0), "float64_rows empty")
    p = f["/logger/pickles_uint8"]
    eq(p[: o["/logger/pickles_uint8"].shape[0]], o["/logger/pickles_uint8"][:], "pickles old")
    assert bytes(p[-1]) == b"appended row", p[-1]
    eq(f["/logger/never_written"][:][0], [9.0], "never_written")
t = tables.open_file(os.path.join(d, name))
try:
    v = t.get_node("/logger/float64_rows")
    assert isinstance(v, tables.VLArray), v
    rows = v.read()
    eq(rows[-2], [1.5, 2.5], "PyTables float64_rows")
    assert len(rows[-1]) == 0
    assert t.get_node("/logger/never_written").nrows == 1
finally:
    t.close()
pytables_reads(name)

# ---- pt_big_group.h5 --------------------------------------------------------------
name = "pt_big_group.h5"
old_unchanged(name, set())
with h5py.File(os.path.join(fx, name), "r") as o, h5py.File(os.path.join(d, name), "r") as f:
    eq(len(f["/big"]), len(o["/big"]) + 101, "big group size")
    names = list(f["/big"])
    assert names == sorted(names), "member order"
    assert "aaa_first" in f["/big"] and "zz_new099" in f["/big"]
    assert f["/big/zz_new050"].attrs["k"] == 50
t = tables.open_file(os.path.join(d, name))
try:
    g = t.get_node("/big")
    assert len(g._v_children) >= 101, len(g._v_children)
    assert isinstance(t.get_node("/big/zz_new007"), tables.Group)
finally:
    t.close()

# ---- h5py_default_layouts.h5 ------------------------------------------------------
name = "h5py_default_layouts.h5"
old_unchanged(name, {"/chunked/chunk_gt_dims", "/chunked/resized", "/chunked/gzip4_shuffle",
                     "/chunked/fill_int", "/compact", "/contiguous", "/contiguous_never_written"})
with h5py.File(os.path.join(fx, name), "r") as o, h5py.File(os.path.join(d, name), "r") as f:
    eq(f["/chunked/chunk_gt_dims"][:], np.concatenate([o["/chunked/chunk_gt_dims"][:], [10, 11, 12, 13]]), "chunk_gt_dims")
    eq(f["/chunked/resized"][:], np.concatenate([o["/chunked/resized"][:], np.arange(0.5, 6.0).reshape(2, 3)]), "resized")
    want = o["/chunked/gzip4_shuffle"][:]
    want[0:4, 0:4] = -1
    eq(f["/chunked/gzip4_shuffle"][:], want, "gzip4_shuffle")
    want = o["/chunked/fill_int"][:]
    want[10:12] = [99, 98]
    eq(f["/chunked/fill_int"][:], want, "fill_int")
    want = o["/compact"][:]
    want[0:2] = [-5, -6]
    eq(f["/compact"][:], want, "compact")
    want = o["/contiguous"][:]
    want[1, :] = 7
    eq(f["/contiguous"][:], want, "contiguous")
    want = o["/contiguous_never_written"][:]
    want[1:3] = [8.0, 9.0]
    eq(f["/contiguous_never_written"][:], want, "contiguous_never_written")
    eq(f["/appended"][:], np.arange(40, dtype="i4"), "appended")
    eq(f["/appended"].maxshape, (None,), "appended maxshape")
    assert f["/new_group"].attrs["note"] == "hello", f["/new_group"].attrs["note"]
    assert f.attrs["added"] == 1.25
pytables_reads(name)

# ---- h5py_default_types.h5 --------------------------------------------------------
name = "h5py_default_types.h5"
old_unchanged(name, set())
with h5py.File(os.path.join(d, name), "r") as f:
    eq(f.attrs["appended"], [7, 8, 9], "appended attr")
    eq(f["/new_f32"][:], np.array([0.5, 1.5, 2.5], "f4"), "new_f32")
    assert f["/types/empty_null"].attrs["note"] == b"still annotatable"
    assert f["/types/empty_null"].shape is None

# ---- ours.h5 ----------------------------------------------------------------------
name = "ours.h5"
with h5py.File(os.path.join(d, name), "r") as f:
    eq(f["/g/ea"][:], np.arange(12.0).reshape(6, 2), "ours ea")
    assert isinstance(f["/g/sub"], h5py.Group)
    assert f["/g"].attrs["reopened"] == 1
t = tables.open_file(os.path.join(d, name))
try:
    assert t.get_node("/g/ea").nrows == 6
finally:
    t.close()

# ---- libhdf5 itself keeps writing into what we wrote ------------------------------
import shutil

x = os.path.join(d, "hdf5_continues.h5")
shutil.copy(os.path.join(d, "pt_carray_zoo.h5"), x)
t = tables.open_file(x, "a")
try:
    er = t.get_node(f"{SCAN}/earray_rows")
    er.append(np.full((30, 8), -3.0))
    t.create_group("/Raw_datas/Scan001", "by_pytables")
    t.get_node(f"{SCAN}/earray_rows").attrs.after = "x" * 300
finally:
    t.close()
with h5py.File(x, "r") as f:
    er = f[f"{SCAN}/earray_rows"]
    eq(er.shape, (255, 8), "PyTables append after ours")
    eq(er[200:225], 1000.0 + np.arange(200.0).reshape(25, 8), "our rows after PyTables append")
    eq(er[225:], np.full((30, 8), -3.0), "PyTables rows")
    assert "by_pytables" in f["/Raw_datas/Scan001"]
x = os.path.join(d, "hdf5_continues_big.h5")
shutil.copy(os.path.join(d, "pt_big_group.h5"), x)
with h5py.File(x, "a") as f:
    for i in range(50):
        f.create_group(f"/big/h5py_{i:02d}")
    f["/appended_later"] = np.arange(3)
with h5py.File(os.path.join(fx, "pt_big_group.h5"), "r") as o, h5py.File(x, "r") as f:
    eq(len(f["/big"]), len(o["/big"]) + 101 + 50, "big group after h5py inserts")
    assert "zz_new099" in f["/big"] and "h5py_49" in f["/big"]
print("ok")
