#!/usr/bin/env python3
"""PyMoDAQ 5.x writing to HSDS through h5pyd, for tests/hsds.rs.

  hsds_pymodaq.py run SCRIPT.json URL     replay a saver script (tests/py/pymodaq_script.py) with
                                          PyMoDAQ's real savers, backend='h5pyd', into the domain
                                          URL = http://HOST:PORT/DOMAIN (replaced if it exists)
  hsds_pymodaq.py h5pyd URL FILE.h5       copy every object of the domain to FILE.h5 with h5pyd
                                          and h5py (attributes, dtypes, shapes, values)

Credentials come from HS_USERNAME / HS_PASSWORD.  PyMoDAQ 5.3 calls h5pyd.special_dtype(dtype)
positionally for the Logger, which h5pyd 1.0 refuses: it is mapped to h5pyd.vlen_dtype first;
its H5Backend.isopen asks h5pyd < 1.0's `id.http_conn`: see pymodaq_load.patch_h5pyd_isopen.
"""
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

warnings.simplefilter("ignore")
sys.path.insert(0, str(Path(__file__).parent))


def split_url(url):
    scheme, rest = url.split("://", 1)
    host, _, domain = rest.partition("/")
    return f"{scheme}://{host}", "/" + domain


def patch_h5pyd():
    import h5pyd
    from pymodaq_data.h5modules import backends as bk

    sys.path.insert(0, str(Path(__file__).parents[2] / "fixtures" / "gen"))
    import pymodaq_load

    pymodaq_load.patch_h5pyd_isopen(bk)

    orig = h5pyd.special_dtype

    def special_dtype(*args, **kw):
        if args and not kw:
            return h5pyd.vlen_dtype(args[0])
        return orig(*args, **kw)

    h5pyd.special_dtype = special_dtype


def run(script_path, url):
    import pymodaq_script

    endpoint, domain = split_url(url)
    os.environ["HS_ENDPOINT"] = endpoint
    patch_h5pyd()
    script = json.loads(Path(script_path).read_text())
    script["backend"] = "h5pyd"
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "script.json"
        p.write_text(json.dumps(script))
        pymodaq_script.run(str(p), domain)


def copy_to_file(url, out):
    import h5py
    import h5pyd

    endpoint, domain = split_url(url)
    with h5pyd.File(domain, "r", endpoint=endpoint) as src, h5py.File(out, "w") as dst:
        def attrs(s, d):
            for k in s.attrs:
                d.attrs[k] = s.attrs[k]

        def walk(s, d):
            attrs(s, d)
            for name in s:
                o = s[name]
                if isinstance(o, h5pyd.Group):
                    walk(o, d.create_group(name))
                else:
                    ds = d.create_dataset(name, data=o[()], dtype=o.dtype, maxshape=o.maxshape,
                                          chunks=o.chunks if o.maxshape != o.shape else None)
                    attrs(o, ds)

        walk(src, dst)


def main(argv):
    if argv[1] == "run":
        run(argv[2], argv[3])
    elif argv[1] == "h5pyd":
        copy_to_file(argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
