"""What an API worker imports, kept small: its private memory is paid once per worker.

lightgbm (the learned blend: a Booster parsed from text, predicting on numpy arrays) imports
pandas and scikit-learn, and through them joblib, rich and more, whenever they are installed
(lightgbm.compat): 46 MiB of private memory in each worker for wrappers serving never calls,
half of the 100 MiB a worker may hold (docs/serving.md, Several workers). `import_lightgbm`
imports it while those optional modules look absent, so it records them as not installed and
its Booster works as always (training calls lightgbm.train on numpy arrays, which needs neither).
A module already imported is left alone.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

# lightgbm.compat's optional imports serving has no use for
OPTIONAL = ("pandas", "sklearn", "dask", "distributed", "matplotlib", "graphviz", "datatable", "cffi")


def import_lightgbm() -> ModuleType:
    """lightgbm, imported without its optional dependencies unless already imported."""
    if "lightgbm" in sys.modules:
        return sys.modules["lightgbm"]
    hidden = [name for name in OPTIONAL if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError
    try:
        return importlib.import_module("lightgbm")
    finally:
        for name in hidden:
            del sys.modules[name]


_M_MMAP_THRESHOLD = -3  # glibc mallopt parameters (malloc.h)
MMAP_THRESHOLD = 256 << 10


def tune_malloc() -> bool:
    """Serve every allocation of 256 KiB or more (array temporaries, read buffers) from its own
    mmap, returned to the OS when freed. glibc's default raises that threshold to the largest
    block freed so far (up to 32 MiB), after which a reload's temporaries land in heap arenas
    that keep them: measured at 300k products, tens of MiB of private memory per worker. False
    where the C library has no mallopt (not glibc)."""
    import ctypes
    import ctypes.util

    import pyarrow as pa

    # Arrow's default pool (mimalloc) keeps what the search index's build freed: ~80 MiB more
    # per worker after the first search at 300k products, ~35 MiB with the system allocator
    pa.set_memory_pool(pa.system_memory_pool())
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    return bool(mallopt and mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
