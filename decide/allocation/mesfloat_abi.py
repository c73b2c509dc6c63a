"""The C interface of the float screen: ctypes structures that mirror _mesfloat.c's structs.

Each structure below has the fields of the C struct of the same name, in the same order and
with the same types; `VERSION` must equal ``mes_float_version()`` in the C file, and a library
built from another version is refused (a stale build would be called with the wrong layout).
`make install` compiles ``_mesfloat.c`` into ``_mesfloat.so`` beside this file.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

LIBRARY = Path(__file__).with_name("_mesfloat.so")
VERSION = 10  # must match mes_float_version() in _mesfloat.c

_int = ctypes.c_int
_double = ctypes.c_double
_int_p = ctypes.POINTER(ctypes.c_int)
_double_p = ctypes.POINTER(ctypes.c_double)
_bytes_p = ctypes.POINTER(ctypes.c_ubyte)
_long_p = ctypes.POINTER(ctypes.c_longlong)

__all__ = ["LIBRARY", "VERSION", "MesHints", "MesInstance", "MesPrefix", "MesRun"]


class MesInstance(ctypes.Structure):
    """The instance, loaded once: voter groups, projects, supporters, tie-break ranks."""

    _fields_ = (
        ("n_groups", _int),
        ("mult", _double_p),
        ("n_projects", _int),
        ("cost", _double_p),
        ("indptr", _int_p),
        ("grp", _int_p),
        ("u", _double_p),
        ("inv_u", _double_p),
        ("rank", _int_p),
        ("summary", _double_p),
        ("cost_sat", _int),
        ("nb", _bytes_p),
        ("num", _long_p),
        ("den", _long_p),
    )


class MesRun(ctypes.Structure):
    """A run: winners (len of them; len < 0: none), prices, error bounds, pure weights. A call
    writes its run into one, which a later call can be given as it is."""

    _fields_ = (
        ("len", _int),
        ("seq", _int_p),
        ("price", _double_p),
        ("err", _double_p),
        ("voters", _double_p),
    )


class MesPrefix(ctypes.Structure):
    """A pure prefix of an earlier run, and what each group had paid after each of its rounds."""

    _fields_ = (
        ("n_rounds", _int),
        ("seq", _int_p),
        ("price", _double_p),
        ("err", _double_p),
        ("weight", _double_p),
        ("paid", _double_p),
        ("paid_err", _double_p),
    )


class MesHints(ctypes.Structure):
    """Bounds on prices proved by an earlier check, and where a check writes its own."""

    _fields_ = (
        ("rounds", _int),
        ("lb", _double_p),
        ("lb_out", _double_p),
        ("lb_rounds", _int_p),
    )


def load() -> ctypes.CDLL | None:
    """Load the compiled library and declare its functions; None when absent, stale or broken.

    Without the library, equal shares runs its exact engine alone: the same outcome, slower.
    """
    if not LIBRARY.exists():
        return None
    try:
        lib = ctypes.CDLL(str(LIBRARY))
    except OSError:  # not a loadable library (a truncated copy, another machine's build)
        return None
    try:
        version = lib.mes_float_version()
    except AttributeError:
        version = 0
    if version != VERSION:  # a stale build: `make install` rebuilds it
        return None
    instance = ctypes.POINTER(MesInstance)
    run = ctypes.POINTER(MesRun)
    prefix = ctypes.POINTER(MesPrefix)
    declare = (
        ("mes_float_run", _int, (instance, _double, _double, run, run, prefix)),
        (
            "mes_float_check",
            _int,
            (
                instance,
                _double,
                _double,
                _double,
                run,
                run,
                _double_p,
                prefix,
                ctypes.POINTER(MesHints),
            ),
        ),
        ("mes_float_prefix", _int, (instance, _int, run, _double_p, _double_p)),
        (
            "mes_float_classes",
            _int,
            (instance, _double, _double, _int, _int_p, _int_p, _int_p, _int),
        ),
        ("mes_float_neighbours", _int, (instance,)),
        ("mes_float_summary", None, (instance,)),
    )
    for name, restype, argtypes in declare:
        fn = getattr(lib, name)
        fn.argtypes = list(argtypes)
        fn.restype = restype
    return lib
