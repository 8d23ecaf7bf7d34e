"""Write into a copy of a file, with h5py, what `serve`'s /nexus/ view shows for one group:
its attributes and its virtual children as hard links to the real datasets; and the root's
`default`. h5grove's answers on that copy are what /nexus/ must answer on the original.

usage: nexus_written.py SRC DST SPEC_JSON
SPEC: {"group": path, "attrs": {name: str | [str] | int}, "links": [[name, real]], "default": path,
       "long_names": [[child name, str]]}
"""
import json
import shutil
import sys

import h5py
import numpy as np

src, dst, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
shutil.copy(src, dst)
with h5py.File(dst, "a") as f:
    g = f[spec["group"]]
    for k, v in spec["attrs"].items():
        if isinstance(v, int):
            g.attrs[k] = np.int64(v)
        elif isinstance(v, list):
            g.attrs[k] = np.array(v, dtype=h5py.string_dtype())
        else:
            g.attrs[k] = v
    for name, real in spec["links"]:
        g[name] = f[real]
    for name, v in spec["long_names"]:
        g[name].attrs["long_name"] = v
    f.attrs["default"] = spec["default"]
