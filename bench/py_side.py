#!/usr/bin/env python3
"""The Python side of pymodaq-h5's benchmark: one workload, one library, one process.

Usage: py_side.py LIB WORKLOAD FILE [ARGS ...] [--fsync]
  LIB       h5py | tables
  WORKLOAD  read DATASET...: read every DATASET of FILE fully into memory
            stream DATASET: read DATASET one row of chunks at a time (h5py)
            w1raw PAYLOAD_DIR:  append 1000 frames 512x512 uint16 one by one (chunk = one frame)
            w1defl PAYLOAD_DIR: the same with shuffle + deflate 1
            w2 PAYLOAD_DIR:     100x100 scan, one 2048-point float64 spectrum per point into a
                                pre-sized (100, 100, 2048) array chunked by spectrum
            w3 PAYLOAD_DIR:     100,000 float64 values + timestamps appended one at a time,
                                flushed every 1000
--fsync: flush and fsync the file before closing it (the durability of our Durability::Sync).
BENCH_QUICK in the environment shrinks the workloads as the Rust side does.
Prints one JSON line: {"seconds": timed section, "bytes": bytes produced, "rss_kib": peak RSS}.
Imports and interpreter start-up are outside the timed section.
"""
import json
import os
import resource
import sys
import time


NF, NX, NY, NS, NL = 1000, 100, 100, 2048, 100_000
if os.environ.get("BENCH_QUICK"):
    NF, NX, NY, NL = 100, 20, 20, 10_000
FSYNC = "--fsync" in sys.argv
if FSYNC:
    sys.argv.remove("--fsync")


def sync_h5py(f):
    """Flush and fsync before close (the sec2 driver's descriptor)."""
    if FSYNC:
        f.flush()
        os.fsync(f.id.get_vfd_handle())


def sync_tables(f):
    if FSYNC:
        f.flush()
        os.fsync(f.fileno())


def payload(d):
    import numpy as np
    frames = np.fromfile(d + "/frames.bin", dtype="<u2").reshape(16, 512, 512)
    spectra = np.fromfile(d + "/spectra.bin", dtype="<f8").reshape(16, 2048)
    return frames, spectra


def write_h5py(wl, path, frames, spectra):
    import h5py
    import numpy as np
    if wl in ("w1raw", "w1defl"):
        extra = dict(compression="gzip", compression_opts=1, shuffle=True) if wl == "w1defl" else {}
        with h5py.File(path, "w") as f:
            d = f.create_dataset("frames", (0, 512, 512), maxshape=(None, 512, 512), chunks=(1, 512, 512), dtype="<u2", **extra)
            for i in range(NF):
                d.resize(i + 1, axis=0)
                d[i] = frames[i % 16]
            sync_h5py(f)
        return NF * 512 * 512 * 2
    if wl == "w2":
        with h5py.File(path, "w") as f:
            d = f.create_dataset("scan", (NX, NY, NS), chunks=(1, 1, NS), dtype="<f8")
            for i in range(NX):
                for j in range(NY):
                    d[i, j, :] = spectra[(i * NY + j) % 16]
            sync_h5py(f)
        return NX * NY * NS * 8
    if wl == "w3":
        with h5py.File(path, "w") as f:
            v = f.create_dataset("value", (0,), maxshape=(None,), chunks=(1024,), dtype="<f8")
            t = f.create_dataset("timestamp", (0,), maxshape=(None,), chunks=(1024,), dtype="<f8")
            for i in range(NL):
                v.resize(i + 1, axis=0)
                v[i] = np.sin(i * 1e-3)
                t.resize(i + 1, axis=0)
                t[i] = 1.7e9 + i * 0.01
                if (i + 1) % 1000 == 0:
                    f.flush()
            sync_h5py(f)
        return NL * 16
    raise SystemExit("unknown workload " + wl)


def write_tables(wl, path, frames, spectra):
    import numpy as np
    import tables as tb
    if wl in ("w1raw", "w1defl"):
        filt = tb.Filters(complevel=1, complib="zlib", shuffle=True) if wl == "w1defl" else None
        with tb.open_file(path, "w") as f:
            d = f.create_earray("/", "frames", tb.UInt16Atom(), (0, 512, 512), chunkshape=(1, 512, 512), filters=filt, expectedrows=NF)
            for i in range(NF):
                d.append(frames[i % 16][None])
            sync_tables(f)
        return NF * 512 * 512 * 2
    if wl == "w2":
        with tb.open_file(path, "w") as f:
            d = f.create_carray("/", "scan", tb.Float64Atom(), (NX, NY, NS), chunkshape=(1, 1, NS))
            for i in range(NX):
                for j in range(NY):
                    d[i, j, :] = spectra[(i * NY + j) % 16]
            sync_tables(f)
        return NX * NY * NS * 8
    if wl == "w3":
        with tb.open_file(path, "w") as f:
            v = f.create_earray("/", "value", tb.Float64Atom(), (0,), chunkshape=(1024,), expectedrows=NL)
            t = f.create_earray("/", "timestamp", tb.Float64Atom(), (0,), chunkshape=(1024,), expectedrows=NL)
            for i in range(NL):
                v.append(np.array([np.sin(i * 1e-3)]))
                t.append(np.array([1.7e9 + i * 0.01]))
                if (i + 1) % 1000 == 0:
                    f.flush()
            sync_tables(f)
        return NL * 16
    raise SystemExit("unknown workload " + wl)


def main():
    lib, workload, path, *names = sys.argv[1:]
    if workload == "stream":
        import h5py
        t0 = time.perf_counter()
        nbytes = 0
        with h5py.File(path, "r") as f:
            d = f[names[0]]
            step = d.chunks[0] if d.chunks else 1
            for r in range(0, d.shape[0], step):
                nbytes += d[r:r + step].nbytes
        t1 = time.perf_counter()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"seconds": t1 - t0, "bytes": nbytes, "rss_kib": rss}))
        return
    if workload != "read":
        frames, spectra = payload(names[0])
        import h5py  # noqa: F401  (imports outside the timed section)
        import tables  # noqa: F401
        t0 = time.perf_counter()
        nbytes = (write_h5py if lib == "h5py" else write_tables)(workload, path, frames, spectra)
        t1 = time.perf_counter()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"seconds": t1 - t0, "bytes": nbytes, "rss_kib": rss}))
        return
    if lib == "h5py":
        import h5py
        t0 = time.perf_counter()
        nbytes = 0
        if workload == "read":
            with h5py.File(path, "r") as f:
                for n in names:
                    nbytes += f[n][()].nbytes
        else:
            raise SystemExit("unknown workload " + workload)
        t1 = time.perf_counter()
    elif lib == "tables":
        import tables
        t0 = time.perf_counter()
        nbytes = 0
        if workload == "read":
            with tables.open_file(path, "r") as f:
                for n in names:
                    nbytes += f.get_node(n).read().nbytes
        else:
            raise SystemExit("unknown workload " + workload)
        t1 = time.perf_counter()
    else:
        raise SystemExit("unknown lib " + lib)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": t1 - t0, "bytes": nbytes, "rss_kib": rss}))


if __name__ == "__main__":
    main()
