"""Real-file oracle for tests/pyattr_real_file.rs.

Usage: python pyattr_realfile.py OUTDIR

Writes PyMoDAQ files with the real H5SaverLowLevel (both backends), with attributes of many types
and Logger rows, then reads every string attribute and Logger row back with plain h5py and records:
the raw attribute (str or bytes, as h5py returns it), repr(JsonConverter.json2object(raw)), and
for the Logger the raw pickle bytes and the unpickled str. Output: OUTDIR/realfile.json.
Needs pymodaq_data (and pymodaq_utils); exits with status 3 when they are not importable.
"""
import datetime
import json
import pickle
import sys
from pathlib import Path

import h5py
import numpy as np

try:
    from pymodaq_data.h5modules.saving import H5SaverLowLevel
    from pymodaq_utils.utils import JsonConverter
except ImportError as e:
    print(f"pymodaq not importable: {e}")
    sys.exit(3)

VALUES = {
    "s_ascii": "x", "s_quote": "it's", "s_both": "a'b\"c", "s_uni": "spectre é 😀 中\u2028",
    "s_ctrl": "tab\tnl\nnul\0del\x7f", "s_empty": "", "i_small": -3, "i_big": 10**40,
    "f_simple": 0.1, "f_exp": 1e-05, "f_big": 1e16, "f_negzero": -0.0, "f_nan": float("nan"),
    "f_inf": float("inf"), "np_f64": np.float64(0.25), "np_f32": np.float32(0.1),
    "np_i64": np.int64(3), "np_bool": np.bool_(True), "b_true": True, "none": None,
    "tup": (1, "a", 2.5), "tup1": (5,), "tup0": (), "lst": [1, [2, (3,)], "q"],
    "bytes": b"a'\x00\xff", "dt": datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
    "date": datetime.date(2024, 1, 2), "time": datetime.time(3, 4), "dict": {"a": 1},
}
LOGS = ["", "a", "first log line", "é😀\n\\", "x" * 300, "y" * 70000]


def main():
    out_dir = Path(sys.argv[1])
    result = {"files": []}
    for backend in ("tables", "h5py"):
        path = out_dir / f"pyattr_{backend}.h5"
        saver = H5SaverLowLevel(backend=backend)
        saver.init_file(path, new_file=True)
        for k, v in VALUES.items():
            saver.set_attr(saver.raw_group, k, v)
        for msg in LOGS:
            saver.add_log(msg)
        saver.close_file()

        attrs, logs = [], []
        with h5py.File(path, "r") as f:
            def visit(name, obj):
                for key, raw in obj.attrs.items():
                    if isinstance(raw, (np.bytes_, bytes)):
                        raw = bytes(raw)
                        entry = {"bytes": raw.hex()}
                    elif isinstance(raw, str):
                        entry = {"str": raw}
                    else:
                        continue  # EXTDIM ints, h5py.Empty, enums: not JSON attrs
                    entry.update(node="/" + name if name else "/", name=key,
                                 j2o=repr(JsonConverter.json2object(raw)))
                    attrs.append(entry)
            visit("", f)
            f.visititems(visit)
            for row in f["RawData/Logger"]:
                b = bytes(np.asarray(row, dtype=np.uint8))
                logs.append({"hex": b.hex(), "msg": pickle.loads(b)})
        result["files"].append({"backend": backend, "path": str(path), "attrs": attrs,
                                "logs": logs})
    (out_dir / "realfile.json").write_text(json.dumps(result))
    print(f"pyattr_realfile: {sum(len(f['attrs']) for f in result['files'])} attributes, "
          f"{sum(len(f['logs']) for f in result['files'])} log rows, Python "
          f"{sys.version.split()[0]}, pickle protocol {pickle.DEFAULT_PROTOCOL}")


if __name__ == "__main__":
    main()
