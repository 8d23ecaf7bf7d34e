"""Files for tests/write_reopen_index.rs: every chunk index h5py (libver='latest') writes.

  reopen_index.py gen DIR     DIR/index.h5 (normal) and DIR/index_swmr.h5 (SWMR-written), each
                              holding, in group /i:
    bt2      float64 (3,4) maxshape (None,None) chunks (2,2)          v2 B-tree, type 10
    bt2z     int32 (3,5) maxshape (None,None) chunks (2,2) gzip+shuf  v2 B-tree, type 11
    bt2f     float32 (2,3) maxshape (None,None) chunks (2,3) fletcher32
    single   float64 (6,4) chunks (6,4)                               single chunk
    singlez  int16 (5,3) chunks (5,3) gzip                             single chunk, filtered
    implicit int64 (10,) chunks (4,) allocation time early            implicit index
    eaf      float64 (5,) maxshape (None,) chunks (4,) fletcher32     extensible array, filtered
    faz      int32 (9,) chunks (4,) gzip                              fixed array, filtered
  reopen_index.py check FILE EXPECT.json
                              h5py, normal and swmr=True: every dataset's shape and values.
                              Prints "ok".
"""
import json
import sys

import h5py
import numpy as np


def fill(f):
    g = f.create_group("i")
    d = g.create_dataset("bt2", shape=(3, 4), maxshape=(None, None), chunks=(2, 2), dtype="f8")
    d[...] = np.arange(12, dtype="f8").reshape(3, 4)
    d = g.create_dataset("bt2z", shape=(3, 5), maxshape=(None, None), chunks=(2, 2), dtype="i4",
                         compression="gzip", shuffle=True)
    d[...] = np.arange(15, dtype="i4").reshape(3, 5)
    d = g.create_dataset("bt2f", shape=(2, 3), maxshape=(None, None), chunks=(2, 3), dtype="f4",
                         fletcher32=True)
    d[...] = np.arange(6, dtype="f4").reshape(2, 3)
    d = g.create_dataset("single", shape=(6, 4), chunks=(6, 4), dtype="f8")
    d[:2] = np.arange(8, dtype="f8").reshape(2, 4)
    d = g.create_dataset("singlez", shape=(5, 3), chunks=(5, 3), dtype="i2", compression="gzip")
    d[...] = np.arange(15, dtype="i2").reshape(5, 3)
    sid = h5py.h5s.create_simple((10,), (10,))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((4,))
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_value(np.array([-1], dtype="i8"))
    h5py.h5d.create(g.id, b"implicit", h5py.h5t.STD_I64LE, sid, dcpl=dcpl)
    g["implicit"][:3] = np.arange(3, dtype="i8")
    d = g.create_dataset("eaf", shape=(5,), maxshape=(None,), chunks=(4,), dtype="f8",
                         fletcher32=True)
    d[...] = np.arange(5, dtype="f8")
    d = g.create_dataset("faz", shape=(9,), chunks=(4,), dtype="i4", compression="gzip")
    d[...] = np.arange(9, dtype="i4")


def gen(d):
    with h5py.File(f"{d}/index.h5", "w", libver="latest") as f:
        fill(f)
    f = h5py.File(f"{d}/index_swmr.h5", "w", libver="latest")
    fill(f)
    f.swmr_mode = True
    f["i/bt2"][2, 0] = 8.0
    f["i/bt2"].flush()
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
                    sys.exit(f"swmr={swmr} {p}: {got[:40]} != {want['values'][:40]}")
    print("ok")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
