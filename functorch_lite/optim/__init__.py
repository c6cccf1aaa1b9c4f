"""``functorch_lite.optim``: PyTorch-style optimizers that update Tensor
parameters in place from their ``.grad`` (``SGD``, ``Adam``, ``AdamW``,
``RMSprop``, ``Adagrad``) and learning-rate schedulers.

The functional, optax-style optimizers are :mod:`functorch_lite.optimizers`.

Example:
    >>> import functorch_lite as fl
    >>> from functorch_lite import optim
    >>> w = fl.tensor([1.0], requires_grad=True)
    >>> opt = optim.SGD([w], lr=0.1)
    >>> w.grad = fl.tensor([1.0]); _ = opt.step(); opt.zero_grad()
    >>> round(w.item(), 4), w.grad
    (0.9, None)
"""

from functorch_lite.optim import lr_scheduler
from functorch_lite.optim.adagrad import Adagrad
from functorch_lite.optim.adam import Adam, AdamW
from functorch_lite.optim.optimizer import Optimizer
from functorch_lite.optim.rmsprop import RMSprop
from functorch_lite.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
