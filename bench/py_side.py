#!/usr/bin/env python3
"""The Python side of pymodaq-h5's benchmark: one workload, one library, one process.

Usage: py_side.py LIB WORKLOAD FILE [DATASET ...]
  LIB       h5py | tables
  WORKLOAD  read: read every DATASET of FILE fully into memory
Prints one JSON line: {"seconds": timed section, "bytes": bytes produced, "rss_kib": peak RSS}.
Imports and interpreter start-up are outside the timed section.
"""
import json
import resource
import sys
import time


def main():
    lib, workload, path, *names = sys.argv[1:]
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
