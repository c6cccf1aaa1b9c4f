"""Gradient recording modes, per thread as in PyTorch.

``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``inference_mode``
are context managers and decorators; each thread starts with gradients
enabled, whatever other threads do.

Example:
    >>> import functorch_lite as fl
    >>> with fl.no_grad():
    ...     fl.is_grad_enabled()
    False
    >>> fl.is_grad_enabled()
    True
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    grad_enabled: bool = True
    inference: bool = False


_state = _State()


def is_grad_enabled() -> bool:
    """Whether operations in this thread are recorded for ``backward()``.

    Example:
        >>> import functorch_lite as fl
        >>> fl.is_grad_enabled()
        True
    """
    return _state.grad_enabled


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``inference_mode()``.

    Example:
        >>> import functorch_lite as fl
        >>> fl.is_inference_mode_enabled()
        False
    """
    return _state.inference


class _Mode:
    """A context manager that is also a decorator; it restores the thread's
    previous modes on exit (exceptions included)."""

    _grad: bool = True
    _inference: bool | None = None

    def __init__(self) -> None:
        self._saved: list[tuple[bool, bool]] = []

    def __enter__(self) -> None:
        self._saved.append((_state.grad_enabled, _state.inference))
        _state.grad_enabled = self._grad
        if self._inference is not None:
            _state.inference = self._inference

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        _state.grad_enabled, _state.inference = self._saved.pop()

    def _clone(self) -> _Mode:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._saved = []
        return new

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._clone():  # a fresh stack: the decorated function may recurse or run in threads
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class _NoParam(_Mode):
    """Also a decorator without parentheses (``@no_grad``), as in PyTorch."""

    def __new__(cls, fn: Any = None) -> Any:
        self = super().__new__(cls)
        if fn is None:
            return self
        if not callable(fn):
            raise TypeError(f"{cls.__name__}() takes no arguments (got {type(fn).__name__})")
        _Mode.__init__(self)
        return self(fn)

    def __init__(self, fn: Any = None) -> None:
        super().__init__()


class no_grad(_NoParam):  # noqa: N801 - PyTorch's name
    """Do not record operations for autograd in this thread.

    Example:
        >>> import functorch_lite as fl
        >>> @fl.no_grad()
        ... def f():
        ...     return fl.is_grad_enabled()
        >>> f(), fl.is_grad_enabled()
        (False, True)
    """

    _grad = False


class enable_grad(_NoParam):  # noqa: N801 - PyTorch's name
    """Record operations again (inside ``no_grad``).

    Example:
        >>> import functorch_lite as fl
        >>> with fl.no_grad(), fl.enable_grad():
        ...     fl.is_grad_enabled()
        True
    """

    _grad = True


class set_grad_enabled(_Mode):  # noqa: N801 - PyTorch's name
    """Set gradient recording on or off: immediately when called as a
    function, and back to the previous mode at the end of a ``with`` block.

    Example:
        >>> import functorch_lite as fl
        >>> with fl.set_grad_enabled(False):
        ...     fl.is_grad_enabled()
        False
        >>> _ = fl.set_grad_enabled(False); fl.is_grad_enabled()
        False
        >>> _ = fl.set_grad_enabled(True)
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(mode) needs a bool, got {type(mode).__name__}")
        super().__init__()
        self._grad = mode
        # as PyTorch: the call itself switches the mode; ``with`` restores it
        self._before = (_state.grad_enabled, _state.inference)
        _state.grad_enabled = mode

    def __enter__(self) -> None:
        self._saved.append(self._before)
        _state.grad_enabled = self._grad

    def _clone(self) -> _Mode:
        new = super()._clone()
        assert isinstance(new, set_grad_enabled)
        new._before = (_state.grad_enabled, _state.inference)
        return new

    def __call__(self, fn: F) -> F:
        # used as a decorator, the constructor's switch must not outlive the decoration
        _state.grad_enabled, _state.inference = self._before
        return super().__call__(fn)


class inference_mode(_Mode):  # noqa: N801 - PyTorch's name
    """``no_grad`` for inference (``inference_mode(False)`` does nothing).

    Example:
        >>> import functorch_lite as fl
        >>> with fl.inference_mode():
        ...     fl.is_grad_enabled(), fl.is_inference_mode_enabled()
        (False, True)
    """

    def __init__(self, mode: bool = True) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"inference_mode(mode) needs a bool, got {type(mode).__name__}")
        super().__init__()
        self._mode = mode

    def __enter__(self) -> None:
        self._saved.append((_state.grad_enabled, _state.inference))
        if self._mode:
            _state.grad_enabled = False
            _state.inference = True
