"""Shape and regularisation layers: ``Flatten``, ``Dropout``, ``Embedding``.

Example:
    >>> from functorch_lite import nn
    >>> nn.Flatten(), nn.Dropout(0.2), nn.Embedding(10, 3, padding_idx=0)
    (Flatten(start_dim=1, end_dim=-1), Dropout(p=0.2, inplace=False), Embedding(10, 3, padding_idx=0))
"""

from __future__ import annotations

from typing import Any

from functorch_lite.nn import functional as F
from functorch_lite.nn import init
from functorch_lite.nn.modules.module import Module
from functorch_lite.nn.parameter import Parameter
from functorch_lite.stateful import Tensor, empty, no_grad


class Flatten(Module):
    """``input.flatten(start_dim, end_dim)`` (the batch dim kept by default).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.Flatten()(fl.zeros(2, 3, 4)).shape
        functorch_lite.Size([2, 12])
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        return input.flatten(self.start_dim, self.end_dim)  # type: ignore[no-any-return]

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zeroes elements with probability ``p`` (scaling the rest by
    ``1/(1-p)``) in training mode; the identity after ``eval()``.

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> nn.Dropout(0.5).eval()(fl.ones(2)).tolist()
        [1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size
    ``embedding_dim``, initialised N(0, 1) (the ``padding_idx`` row zero).

    Example:
        >>> import functorch_lite as fl
        >>> from functorch_lite import nn
        >>> e = nn.Embedding(4, 2, padding_idx=0)
        >>> e(fl.tensor([[0, 3]])).shape, e.weight[0].tolist()
        (functorch_lite.Size([1, 2, 2]), [0.0, 0.0])
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, _weight: Tensor | None = None, _freeze: bool = False,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if max_norm is not None:
            raise NotImplementedError("Embedding(max_norm=...) renormalisation is not implemented; "
                                      "leave max_norm=None")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Padding_idx must be within num_embeddings (got {padding_idx} for "
                                 f"{num_embeddings} embeddings)")
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        if _weight is None:
            self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"Shape of weight {tuple(_weight.shape)} does not match num_embeddings and "
                                 f"embedding_dim ({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None) -> Embedding:
        """An embedding whose weight is ``embeddings`` (frozen by default)."""
        if embeddings.ndim != 2:
            raise ValueError(f"Embeddings parameter is expected to be 2-dimensional, got {embeddings.ndim}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, _weight=embeddings, _freeze=freeze)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
