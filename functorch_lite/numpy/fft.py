"""``functorch_lite.numpy.fft``: discrete Fourier transforms (``numpy.fft``'s names).

Every transform is the one primitive ``fft`` (``functorch_lite/ops/fft.py``,
``jax.lax.fft``'s form) between ordinary ops: the transformed axes are moved
to the end (``moveaxis``), cropped (slicing) or zero-padded (``pad``) to
``n``/``s``, transformed, scaled for ``norm`` and moved back.  So every
function is differentiable (JAX's complex convention), batchable and
jittable.

Signatures are NumPy's (``n``/``s``, ``axis``/``axes``, ``norm`` in
``None``, ``"backward"``, ``"ortho"``, ``"forward"``); values are NumPy's.
Dtypes are JAX's: complex transforms keep a complex input's dtype and give
the complex of a real input's precision (``float32 -> complex64``); ``rfft``
keeps a float input's precision; integer and boolean inputs become the
default float (``rfft``) or complex (the others): complex64 unless 64-bit
mode is on.  As in JAX, a list is not accepted for the array argument, and
``fftn`` and friends refuse repeated ``axes`` (NumPy transforms such an axis
twice).  ``hfft``/``ihfft`` follow NumPy's ``norm`` (JAX rescales them
differently for ``"ortho"`` and ``"forward"``).

Example:
    >>> import functorch_lite.numpy as jnp
    >>> jnp.fft.fft(jnp.array([1.0, 2.0, 3.0, 4.0])).tolist()
    [(10+0j), (-2+2j), (-2+0j), (-2-2j)]
    >>> jnp.fft.irfft(jnp.fft.rfft(jnp.array([1.0, 2.0, 3.0])), n=3).tolist()
    [1.0, 2.0, 3.0]
"""

# The public face of functorch_lite.numpy._fft_api: only the names of ``__all__``, so
# the implementation's imports (numpy, typing...) do not leak into this namespace.

from functorch_lite.numpy._fft_api import (
    fft as fft,
)
from functorch_lite.numpy._fft_api import (
    fft2 as fft2,
)
from functorch_lite.numpy._fft_api import (
    fftfreq as fftfreq,
)
from functorch_lite.numpy._fft_api import (
    fftn as fftn,
)
from functorch_lite.numpy._fft_api import (
    fftshift as fftshift,
)
from functorch_lite.numpy._fft_api import (
    hfft as hfft,
)
from functorch_lite.numpy._fft_api import (
    ifft as ifft,
)
from functorch_lite.numpy._fft_api import (
    ifft2 as ifft2,
)
from functorch_lite.numpy._fft_api import (
    ifftn as ifftn,
)
from functorch_lite.numpy._fft_api import (
    ifftshift as ifftshift,
)
from functorch_lite.numpy._fft_api import (
    ihfft as ihfft,
)
from functorch_lite.numpy._fft_api import (
    irfft as irfft,
)
from functorch_lite.numpy._fft_api import (
    irfft2 as irfft2,
)
from functorch_lite.numpy._fft_api import (
    irfftn as irfftn,
)
from functorch_lite.numpy._fft_api import (
    rfft as rfft,
)
from functorch_lite.numpy._fft_api import (
    rfft2 as rfft2,
)
from functorch_lite.numpy._fft_api import (
    rfftfreq as rfftfreq,
)
from functorch_lite.numpy._fft_api import (
    rfftn as rfftn,
)

__all__ = [
    "fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft", "ihfft", "fft2", "ifft2",
    "rfft2", "irfft2", "fftfreq", "rfftfreq", "fftshift", "ifftshift",
]
