"""Oracle for tests/pyattr_python_batch.rs: what CPython and PyMoDAQ make of a batch of values.

Usage: python pyattr_batch.py IN.jsonl OUT.jsonl

Each input line is one of
  {"value": <tagged value>}   -> {"repr", "o2j", "j2o", "pickle": {protocol: hex} (str only)}
  {"raw": <str>, "as_bytes": bool}  -> {"j2o"}: repr(json2object(raw)) for a stored attribute
A tagged value is {"t": kind, "v": ...}; see tests/pyattr_python_batch.rs for the kinds.

PyMoDAQ's own JsonConverter is used when importable (pymodaq_utils 5.x, then pymodaq 4.x);
otherwise a re-implementation with json.dumps / eval. The path taken is printed on stdout.
This script evaluates only the test's own generated inputs.
"""
import datetime
import json
import pickle
import struct
import sys

import numpy as np

try:
    from pymodaq_utils.utils import JsonConverter
    from importlib.metadata import version

    PATH = f"pymodaq_utils {version('pymodaq_utils')} JsonConverter"
except ImportError:
    try:
        from pymodaq.utils.daq_utils import JsonConverter
        from importlib.metadata import version

        PATH = f"pymodaq {version('pymodaq')} JsonConverter"
    except ImportError:
        JsonConverter = None
        PATH = "re-implementation (pymodaq not importable)"

if JsonConverter is not None:
    object2json = JsonConverter.object2json
    json2object = JsonConverter.json2object
else:
    TRUSTED = ['float', 'int', 'str', 'datetime', 'date', 'time', 'tuple', 'list', 'bool',
               'bytes', 'float64']

    def object2json(obj):
        dic = dict(module=type(obj).__module__, type=type(obj).__name__, data=repr(obj))
        return json.dumps(dic)

    def json2object(jsonstring):
        try:
            dic = json.loads(jsonstring)
            if isinstance(dic, dict):
                if dic['type'] in TRUSTED:
                    return eval(dic['data'], {'np': np, 'datetime': datetime})
                return dic
            return dic
        except Exception:
            return jsonstring

NP = {
    "bool": np.bool_, "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "float32": np.float32, "float64": np.float64, "str_": np.str_, "bytes_": np.bytes_,
}


def build(t):
    kind, v = t["t"], t.get("v")
    if kind == "none":
        return None
    if kind == "bool":
        return bool(v)
    if kind == "int":
        return int(v)
    if kind == "float":
        return struct.unpack("<d", struct.pack("<Q", int(v)))[0]
    if kind == "str":
        return v
    if kind == "bytes":
        return bytes.fromhex(v)
    if kind == "tuple":
        return tuple(build(x) for x in v)
    if kind == "list":
        return [build(x) for x in v]
    if kind == "dict":
        return {build(k): build(x) for k, x in v}
    if kind == "np":
        return NP[t["ty"]](build(v))
    if kind == "datetime":
        return datetime.datetime(*v)
    if kind == "date":
        return datetime.date(*v)
    if kind == "time":
        return datetime.time(*v)
    raise ValueError(kind)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    n = 0
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for line in f:
            case = json.loads(line)
            if "value" in case:
                obj = build(case["value"])
                o2j = object2json(obj)
                res = {"repr": repr(obj), "o2j": o2j, "j2o": repr(json2object(o2j))}
                if type(obj) is str:
                    res["pickle"] = {str(p): pickle.dumps(obj, protocol=p).hex()
                                     for p in range(0, pickle.HIGHEST_PROTOCOL + 1)}
                    res["pickle_default"] = pickle.dumps(obj).hex()
            else:
                raw = case["raw"]
                if case["as_bytes"]:
                    raw = raw.encode("utf-8")
                res = {"j2o": repr(json2object(raw))}
            out.write(json.dumps(res) + "\n")
            n += 1
    print(f"pyattr_batch: {n} cases, Python {sys.version.split()[0]}, "
          f"pickle default protocol {pickle.DEFAULT_PROTOCOL}, numpy {np.__version__}, "
          f"object2json/json2object via {PATH}")


if __name__ == "__main__":
    main()
