"""Registry entries for the special functions (functorch_lite.scipy.special)."""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite import dtypes
from functorch_lite.scipy import special
from tests.registry import OpEntry, register
from tests.registry.elementwise import unary_inputs
from tests.strategies import NUMERIC

sp = __import__("scipy.special", fromlist=["special"])


def _ref(f: Any) -> Any:
    def reference(x: np.ndarray[Any, Any]) -> Any:
        dt = x.dtype if x.dtype.kind == "f" else dtypes.default_float_dtype()
        with np.errstate(all="ignore"):
            return np.asarray(f(x.astype(np.float64))).astype(dt)

    return reference


for _name, _prim, _fn, _ref_fn, _lo, _hi in [
    ("special.erf", "erf", special.erf, sp.erf, -3, 3),
    ("special.erfc", "erfc", special.erfc, sp.erfc, -3, 3),
    ("special.erfinv", "erf_inv", special.erfinv, sp.erfinv, -0.9, 0.9),
    ("special.gammaln", "lgamma", special.gammaln, sp.gammaln, 0.1, 8),
    # nan at the poles (JAX's choice; SciPy gives -inf at 0)
    ("special.digamma", "digamma", special.digamma,
     lambda x: np.where((x <= 0) & (x == np.floor(x)), np.nan, sp.psi(x)), 0.1, 8),
    ("special.polygamma1", "polygamma", lambda x: special.polygamma(1, x), lambda x: sp.polygamma(1, x), 0.2, 8),
]:
    register(OpEntry(_name, _fn, _ref(_ref_fn), unary_inputs(NUMERIC, _lo, _hi), (_prim, "convert_element_type"),
                     rtol=2e-5, atol=1e-5))

for _name, _prim, _fn, _ref_fn in [
    ("special.i0e", "bessel_i0e", special.i0e, sp.i0e),
    ("special.i1e", "bessel_i1e", special.i1e, sp.i1e),
]:
    register(OpEntry(_name, _fn, _ref(_ref_fn), unary_inputs(NUMERIC, -12, 12), (_prim, "convert_element_type"),
                     rtol=2e-6, atol=1e-7))
