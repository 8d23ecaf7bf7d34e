"""Several `pymodaq_load.py --full` documents from one interpreter (PyMoDAQ imports once).

Usage: pymodaq_load_many.py FILE...   Prints a JSON list of documents, in order.
"""
import json
import logging
import os
import shutil
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "gen"))
import pymodaq_load  # noqa: E402

logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")
real_stdout, sys.stdout = sys.stdout, sys.stderr
docs = []
for path in sys.argv[1:]:
    cleanup = []
    try:
        docs.append(pymodaq_load.build(path, True, None, cleanup)[0])
    finally:
        for d in cleanup:
            shutil.rmtree(d, ignore_errors=True)
sys.stdout = real_stdout
sys.stdout.write(json.dumps(docs, ensure_ascii=False, allow_nan=False))
