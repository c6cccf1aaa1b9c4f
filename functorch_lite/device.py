"""The one device: the CPU.  ``devices()``, ``Array.device`` and ``device_put``
exist so that code written for JAX or the Array API runs unchanged.

Example:
    >>> from functorch_lite.device import CPU, devices
    >>> devices() == [CPU], str(CPU)
    (True, 'cpu')
"""

from __future__ import annotations

from typing import Any


class Device:
    """A device; this library has one, ``CPU`` (``repr``: ``CpuDevice(id=0)``, as JAX).

    Example:
        >>> CPU.platform, CPU.id, repr(CPU)
        ('cpu', 0, 'CpuDevice(id=0)')
    """

    __slots__ = ("platform", "id")

    def __init__(self, platform: str = "cpu", id: int = 0) -> None:  # noqa: A002 - JAX's name
        self.platform = platform
        self.id = id

    @property
    def device_kind(self) -> str:
        return self.platform

    def __repr__(self) -> str:
        return f"CpuDevice(id={self.id})"

    def __str__(self) -> str:
        return self.platform

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Device) and (other.platform, other.id) == (self.platform, self.id)

    def __hash__(self) -> int:
        return hash((self.platform, self.id))


CPU = Device()


def devices(backend: str | None = None) -> list[Device]:
    """The available devices: ``[CPU]``.

    Example:
        >>> devices()
        [CpuDevice(id=0)]
    """
    if backend not in (None, "cpu"):
        raise RuntimeError(f"unknown backend {backend!r}: functorch_lite runs on the CPU only ('cpu')")
    return [CPU]


def check_device(device: Any, what: str = "device") -> None:
    """Accept ``None``, ``"cpu"`` or the CPU device; anything else raises ``ValueError``.

    Example:
        >>> check_device("cpu"); check_device(None); check_device(CPU)
    """
    if device is None or device == CPU or device == "cpu":
        return
    raise ValueError(f"{what}={device!r} is not available: functorch_lite runs on the CPU only "
                     "(use None, 'cpu' or functorch_lite.devices()[0])")


__all__ = ["Device", "CPU", "devices", "check_device"]
