"""Files of every file-creation variant libhdf5 offers (user blocks, group and chunk B-tree K
values, file-space strategies with persisted free space, page size, metadata block size,
format bounds), for tests/write_continue_fcpl.rs, and the checks of their continuations.

Usage:
  fcpl_variants.py gen DIR          write every variant into DIR, print their names (JSON)
  fcpl_variants.py expect NAME STAGE   what NAME holds after STAGE sessions (JSON)
  fcpl_variants.py check DIR STAGE NAME...
      STAGE 1: the file as our writer left it after session 1 (see expected() below): h5py
               (and PyTables for its own file) reads every value, then opens it r+ and appends rows, creates a group and
               datasets, deletes two datasets (ours and an original one) and closes (session 2);
               h5py reads every value again; h5dump reads the file.
      STAGE 3: after our writer's session 3: h5py reads every value, then opens it r+ once
               more, creates a dataset (allocated from the free space it persisted) and
               deletes another, reads every value; h5dump reads the file.
  Prints "ok N" or exits 1 listing every difference.

Every file holds: root attribute title; /g1 (attributes n, s) with /g1/chunked (int32,
5 x 3, unlimited rows, chunks 2 x 3) and /g1/sub; /g2 with /g2/contig (float64, 100,
contiguous) and /g2/gz (int16, 50, unlimited, gzip). The fs_persist ones also had datasets
and a group deleted in a second h5py session, so their persisted free space holds sections.
"""
import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

VARIANTS = []


def variant(name, **kw):
    VARIANTS.append((name, kw))


variant("ub512", userblock_size=512)
variant("ub4096", userblock_size=4096)
variant("pt_ub1024", pytables_ub=1024)
variant("symk_8_2", sym_k=(8, 2))
variant("symk_32_8", sym_k=(32, 8))
variant("istorek_16", istore_k=16)
variant("istorek_64", istore_k=64)
# Superblock v2: the K values move to a B-tree 'K' values message in the extension.
variant("symk_istorek_v108", sym_k=(8, 2), istore_k=16, low="v108")
variant("symk_istorek_ub", sym_k=(8, 2), istore_k=16, userblock_size=1024)
for strategy in ("fsm", "page", "aggregate", "none"):
    variant(f"fs_{strategy}_persist", fs_strategy=strategy, fs_persist=True, fs_threshold=1,
            delete=True)
variant("fs_fsm_nopersist", fs_strategy="fsm", fs_persist=False, delete=True)
variant("fs_page_4096_ub", fs_strategy="page", fs_persist=True, fs_page_size=4096,
        userblock_size=4096, delete=True)
variant("fs_page_512_v110", fs_strategy="page", fs_persist=True, fs_page_size=512,
        libver=("v110", "latest"), delete=True)
variant("fs_page_8192_v110", fs_strategy="page", fs_persist=True, fs_page_size=8192,
        libver=("v110", "latest"), delete=True)
variant("meta_block_64k", meta_block_size=65536, delete=True)
variant("meta_block_512", meta_block_size=512)
for lv in ("v108", "v110", "v112", "v114", "v200"):
    variant(f"libver_{lv}", libver=(lv, "latest"), delete=True)
# H5Pset_alignment (access property: objects from 1 KiB start on 4 KiB boundaries).
variant("aligned_4096", alignment_threshold=1024, alignment_interval=4096, delete=True)
variant("libver_v110_ub_fsm", libver=("v110", "latest"), userblock_size=512,
        fs_strategy="fsm", fs_persist=True, fs_threshold=1, delete=True)
# H5Pset_sizes: addresses and lengths of 4 bytes (or one of them), both format bounds.
# (2-byte offsets hold 64 KiB files only: tests/write_continue_sizes.rs.)
variant("sizes_4_4", sizes=(4, 4))
variant("sizes_4_8", sizes=(4, 8), delete=True)
variant("sizes_8_4", sizes=(8, 4))
variant("sizes_8_2", sizes=(8, 2))
variant("sizes_4_4_ub", sizes=(4, 4), userblock_size=1024, sym_k=(8, 2), istore_k=16)
# (libhdf5 cannot reopen its own extensible-array datasets with lengths under 8 bytes:
# "didn't find unlimited dimension"; such files hold fixed-size datasets only.)
variant("sizes_4_8_latest", sizes=(4, 8), low="latest", delete=True)
variant("sizes_4_8_v110_page", sizes=(4, 8), low="v110", fs_strategy="page", fs_persist=True,
        fs_page_size=4096, delete=True)


def file_kwargs(kw):
    out = {}
    for k in ("userblock_size", "fs_strategy", "fs_persist", "fs_threshold", "fs_page_size",
              "meta_block_size", "libver", "alignment_threshold", "alignment_interval"):
        if k in kw:
            out[k] = kw[k]
    return out


def libhdf5():
    """The libhdf5 h5py loaded (h5py has no wrapper of H5Pset_sym_k/H5Pset_istore_k)."""
    import ctypes
    import re as _re
    with open("/proc/self/maps") as m:
        libs = sorted(set(_re.findall(r"/\S*/libhdf5[-.][^/\s]*\.so[^/\s]*", m.read())))
    if not libs:
        raise RuntimeError("libhdf5 not found in this process")
    return ctypes.CDLL(libs[0])


def create(path, kw):
    """An h5py.File open for writing at path, with kw's creation properties."""
    if "sym_k" in kw or "istore_k" in kw or "sizes" in kw:
        fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
        lib = libhdf5()
        hid = __import__("ctypes").c_int64(fcpl.id)
        if "sym_k" in kw and lib.H5Pset_sym_k(hid, *kw["sym_k"]) < 0:
            raise RuntimeError("H5Pset_sym_k failed")
        if "istore_k" in kw and lib.H5Pset_istore_k(hid, kw["istore_k"]) < 0:
            raise RuntimeError("H5Pset_istore_k failed")
        if "sizes" in kw:
            fcpl.set_sizes(*kw["sizes"])
        if "userblock_size" in kw:
            fcpl.set_userblock(kw["userblock_size"])
        if kw.get("fs_strategy") == "page":
            fcpl.set_file_space_strategy(h5py.h5f.FSPACE_STRATEGY_PAGE, kw["fs_persist"], 1)
            fcpl.set_file_space_page_size(kw["fs_page_size"])
        fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
        low = {"earliest": h5py.h5f.LIBVER_EARLIEST, "v108": h5py.h5f.LIBVER_V18,
               "v110": h5py.h5f.LIBVER_V110, "latest": h5py.h5f.LIBVER_LATEST}
        fapl.set_libver_bounds(low[kw.get("low", "earliest")], h5py.h5f.LIBVER_LATEST)
        fid = h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
        return h5py.File(fid)
    return h5py.File(path, "w", **file_kwargs(kw))


def fill(f, name):
    f.attrs["title"] = f"fcpl variant {name}"
    g1 = f.create_group("g1")
    g1.attrs["n"] = np.int64(7)
    g1.attrs["s"] = "hello"
    g1.create_dataset("chunked", data=np.arange(15, dtype="<i4").reshape(5, 3),
                      maxshape=(None, 3), chunks=(2, 3))
    g1.create_group("sub")
    g2 = f.create_group("g2")
    g2.create_dataset("contig", data=np.arange(100, dtype="<f8") * 0.5)
    g2.create_dataset("gz", data=np.arange(50, dtype="<i2"), maxshape=(None,), chunks=(16,),
                      compression="gzip")
    # Many members: group B-trees of small K split (symbol-table files).
    for i in range(40):
        g1["sub"].create_group(f"m{i:02}")


def gen_pytables(path, ub):
    import tables
    with tables.open_file(path, "w", USER_BLOCK_SIZE=ub, title="fcpl variant pt_ub1024") as t:
        g1 = t.create_group("/", "g1")
        g1._v_attrs.n = np.int64(7)
        g1._v_attrs.s = "hello"
        a = t.create_earray(g1, "chunked", tables.Int32Atom(), shape=(0, 3),
                            chunkshape=(2, 3))
        a.append(np.arange(15, dtype="<i4").reshape(5, 3))
        sub = t.create_group(g1, "sub")
        g2 = t.create_group("/", "g2")
        t.create_array(g2, "contig", np.arange(100, dtype="<f8") * 0.5)
        z = t.create_earray(g2, "gz", tables.Int16Atom(), shape=(0,), chunkshape=(16,),
                            filters=tables.Filters(complevel=4, complib="zlib"))
        z.append(np.arange(50, dtype="<i2"))
        for i in range(40):
            t.create_group(sub, f"m{i:02}")
    with h5py.File(path, "r+") as f:
        f.attrs["title"] = "fcpl variant pt_ub1024"


def gen(d):
    os.makedirs(d, exist_ok=True)
    names = []
    for name, kw in VARIANTS:
        path = os.path.join(d, name + ".h5")
        try:
            if "pytables_ub" in kw:
                gen_pytables(path, kw["pytables_ub"])
            else:
                with create(path, kw) as f:
                    fill(f, name)
                    if kw.get("delete"):
                        for i in range(4):
                            f.create_dataset(f"junk{i}", data=np.full(2000 + 100 * i, i, "<f8"))
                        f.create_group("junkgroup").create_dataset("x", data=np.ones(3000))
                if kw.get("delete"):
                    # A later session deletes them: their space becomes free-space sections,
                    # persisted at close when fs_persist is set.
                    with h5py.File(path, "r+") as f:
                        for i in (0, 2, 3):
                            del f[f"junk{i}"]
                        del f["junkgroup"]
        except Exception as e:  # noqa: BLE001
            print(f"{name}: not made ({type(e).__name__}: {e})", file=sys.stderr)
            continue
        names.append(name)
    print(json.dumps(names))


# What every file holds after each session (path -> numpy array), and the attributes.
def expected(name, stage, kw):
    chunked = [np.arange(15, dtype="<i4").reshape(5, 3)]
    gz = [np.arange(50, dtype="<i2")]
    dsets = {"/g2/contig": np.arange(100, dtype="<f8") * 0.5}
    if kw.get("delete"):
        dsets["/junk1"] = np.full(2100, 1, "<f8")
    attrs = {"/": {"title": f"fcpl variant {name}"}, "/g1": {"n": 7, "s": "hello"}}
    if stage >= 1:
        # Session 1 (ours, tests/write_continue_fcpl.rs).
        # 150 rows: 75 chunks, past one node of the smallest chunk K (2 x 16).
        chunked.append(np.arange(100, 550, dtype="<i4").reshape(150, 3))
        gz.append(np.arange(1000, 1003, dtype="<i2"))
        dsets["/ours1/d"] = np.array([1.5, 2.5, 3.5, 4.5, 5.5])
        dsets["/ours1/big"] = np.arange(1000, dtype="<f8") * 0.25
        for p in ("/", "/g1", "/g1/sub", "/g2", "/g1/chunked", "/g2/contig", "/g2/gz"):
            attrs.setdefault(p, {})["cont"] = f"continued {p}"
        attrs["/ours1"] = {"note": "new"}
    if stage >= 2:
        # Session 2 (h5py, check stage 1).
        chunked.append(np.arange(200, 212, dtype="<i4").reshape(4, 3))
        gz.append(np.arange(2000, 2002, dtype="<i2"))
        dsets["/h5py2/big"] = np.arange(3000, dtype="<f8") * 2
        dsets["/h5py2/ch"] = np.arange(40, dtype="<i8")
        del dsets["/ours1/big"]
        del dsets["/g2/contig"]
        attrs["/g1"]["h5py"] = 2
    if stage >= 3:
        # Session 3 (ours).
        chunked.append(np.arange(300, 309, dtype="<i4").reshape(3, 3))
        dsets["/ours3/d"] = np.arange(500, dtype="<f8") + 0.125
    if stage >= 4:
        # Session 4 (h5py, check stage 3).
        dsets["/h5py4/e"] = np.arange(5000, dtype="<i4")
        del dsets["/h5py2/big"]
    dsets["/g1/chunked"] = np.concatenate(chunked)
    dsets["/g2/gz"] = np.concatenate(gz)
    gone = ["/junk0", "/junk2", "/junk3", "/junkgroup"] if kw.get("delete") else []
    if stage >= 2:
        gone += ["/ours1/big", "/g2/contig"]
    if stage >= 4:
        gone.append("/h5py2/big")
    attrs = {p: a for p, a in attrs.items() if p not in gone}
    return dsets, attrs, gone


def sub_members(stage):
    """/g1/sub's members in h5py's (name) order: 30 more from session 1 (ours), splitting the
    SNODs and nodes of small group K values."""
    return sorted([f"m{i:02}" for i in range(40)] + ([f"n{i:02}" for i in range(30)]
                                                     if stage >= 1 else []))


def page_buf(kw):
    """h5py.File options of a paged file: libhdf5's page buffer on (it reads and writes whole
    pages, so it relies on the file's page alignment)."""
    if kw.get("fs_strategy") != "page":
        return {}
    return {"page_buf_size": 4 * kw.get("fs_page_size", 4096)}


def verify(path, name, stage, kw, errs):
    dsets, attrs, gone = expected(name, stage, kw)
    with h5py.File(path, "r", **page_buf(kw)) as f:
        for p, want in dsets.items():
            if p not in f:
                errs.append(f"{name} stage {stage}: {p} missing")
                continue
            got = f[p][()]
            if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
                errs.append(f"{name} stage {stage}: {p} = {got!r}, want {want!r}")
        for p in gone:
            if p in f:
                errs.append(f"{name} stage {stage}: {p} still there")
        for p, want in attrs.items():
            for k, v in want.items():
                got = f[p].attrs.get(k)
                if isinstance(got, bytes):
                    got = got.decode()
                if got is None or got != v:
                    errs.append(f"{name} stage {stage}: {p}@{k} = {got!r}, want {v!r}")
        subs = list(f["/g1/sub"].keys())
        if subs != sub_members(stage):
            errs.append(f"{name} stage {stage}: /g1/sub lists {subs}")
    if kw.get("pytables_ub"):
        # PyTables itself (the user block it wrote, our rows and groups).
        import tables
        with tables.open_file(path, "r") as t:
            for p in ("/g1/chunked", "/g2/gz"):
                got = t.get_node(p).read()
                if not np.array_equal(got, dsets[p]):
                    errs.append(f"{name} stage {stage}: PyTables {p} = {got!r}")
            subs = sorted(t.get_node("/g1/sub")._v_children)
            if subs != sub_members(stage):
                errs.append(f"{name} stage {stage}: PyTables lists /g1/sub as {subs}")
    h5dump = shutil.which("h5dump")
    # h5dump 1.10 cannot read the HDF5 2.0 format (libver v200, or 'latest' with h5py's
    # HDF5 2.x): it fails ("internal error") on the file as h5py made it, before any
    # session.
    if h5dump and kw.get("libver", ("",))[0] != "v200" and kw.get("low") != "latest":
        r = subprocess.run([h5dump, path], capture_output=True, text=True)
        if r.returncode != 0:
            errs.append(f"{name} stage {stage}: h5dump exit {r.returncode}: {r.stderr[-500:]}")


def session2(path, kw):
    with h5py.File(path, "r+", **page_buf(kw)) as f:
        c = f["/g1/chunked"]
        n = c.shape[0]
        c.resize((n + 4, 3))
        c[n:] = np.arange(200, 212, dtype="<i4").reshape(4, 3)
        z = f["/g2/gz"]
        n = z.shape[0]
        z.resize((n + 2,))
        z[n:] = np.arange(2000, 2002, dtype="<i2")
        g = f.create_group("h5py2")
        g.create_dataset("big", data=np.arange(3000, dtype="<f8") * 2)
        g.create_dataset("ch", data=np.arange(40, dtype="<i8"), chunks=(8,), maxshape=(None,))
        del f["/ours1/big"]
        del f["/g2/contig"]
        f["/g1"].attrs["h5py"] = np.int64(2)


def session4(path, kw):
    with h5py.File(path, "r+", **page_buf(kw)) as f:
        f.create_group("h5py4").create_dataset("e", data=np.arange(5000, dtype="<i4"))
        del f["/h5py2/big"]


def check(d, stage, names):
    kws = dict(VARIANTS)
    errs = []
    for name in names:
        path = os.path.join(d, name + ".h5")
        kw = kws[name]
        try:
            verify(path, name, stage, kw, errs)
            (session2 if stage == 1 else session4)(path, kw)
            verify(path, name, stage + 1, kw, errs)
        except Exception as e:  # noqa: BLE001
            errs.append(f"{name} stage {stage}: {type(e).__name__}: {e}")
    if errs:
        print("\n".join(errs))
        sys.exit(1)
    print(f"ok {len(names)}")


def expect(name, stage):
    """expected() as JSON for tests/write_continue_fcpl.rs: {"datasets": {path: [dtype,
    flat values]}, "attrs": {path: {name: value}}, "gone": [path]}."""
    dsets, attrs, gone = expected(name, stage, dict(VARIANTS)[name])
    print(json.dumps({
        "datasets": {p: [v.dtype.str, v.ravel().tolist()] for p, v in dsets.items()},
        "attrs": attrs,
        "gone": gone,
        "sub": sub_members(stage),
    }))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif sys.argv[1] == "expect":
        expect(sys.argv[2], int(sys.argv[3]))
    else:
        check(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
