"""Train a digit classifier on real data: ``python -m functorch_lite.demo``.

The 8x8 handwritten digits shipped in ``functorch_lite/data`` (1,797 images,
UCI "Optical Recognition of Handwritten Digits", CC BY 4.0) are learnt by a
64-128-10 MLP twice: functionally (``jit(value_and_grad)``, ``optimizers.adam``,
per-example gradient norms with ``vmap(grad)``) and PyTorch-style
(``nn.Sequential``, ``optim.Adam``, ``backward()``).  ``--tour`` runs the
feature tour on toy arrays instead; ``--help`` lists the options.

Example:
    >>> from functorch_lite import demo
    >>> x, y = demo.load_digits()
    >>> x.shape, y.shape, int(y.min()), int(y.max())
    ((1797, 64), (1797,), 0, 9)
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import io
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import functorch_lite
import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import nn, optim, optimizers

DIGITS_PATH = Path(__file__).parent / "data" / "digits.csv.gz"
N_TEST = 360
SPLIT_SEED = 0  # one split for every --seed, so runs compare
BATCH = 32
LEARNING_RATE = 1e-3
EPOCHS = 20
HIDDEN = 128
MAX_TEXT = 4_000_000  # characters; the shipped file has 264,712

Params = dict[str, Any]


def _read_csv_gz(path: str | Path) -> np.ndarray[Any, Any]:
    """The numbers of a gzipped CSV as a 2-D float64 array; ``ValueError`` naming ``path`` otherwise."""
    try:
        with gzip.open(path, "rt", encoding="ascii") as f:
            text = f.read(MAX_TEXT + 1)  # bounded: a small hostile file may inflate without end
        if len(text) > MAX_TEXT:
            raise ValueError(f"more than {MAX_TEXT} characters once decompressed")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # an empty file is reported below, by shape
            raw: np.ndarray[Any, Any] = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.float64, ndmin=2)
    except FileNotFoundError:
        raise
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"{path}: not a gzipped CSV of numbers ({type(e).__name__}: {e}); "
                         "expected 65 comma-separated integers a row") from e
    return raw


def load_digits(path: str | Path = DIGITS_PATH) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Read the digits: ``x`` float32 (n, 64) with pixels scaled to [0, 1], ``y`` int64 labels 0-9.

    The file is gzipped CSV, 65 integers a row (64 pixels 0-16, then the
    label); anything else raises ``ValueError`` naming the file and the fault
    (``FileNotFoundError`` if there is no file).

    Example:
        >>> x, y = load_digits()
        >>> x.dtype, y.dtype, float(x.max())
        (dtype('float32'), dtype('int64'), 1.0)
    """
    raw = _read_csv_gz(path)
    if raw.shape[1] != 65 or raw.shape[0] == 0:
        raise ValueError(f"{path}: expected rows of 65 numbers (64 pixels, 1 label), got an array of shape {raw.shape}")
    if not np.all(np.isfinite(raw)) or np.any(raw != np.round(raw)):
        raise ValueError(f"{path}: every value must be a finite integer")
    pixels, labels = raw[:, :64], raw[:, 64]
    if pixels.min() < 0 or pixels.max() > 16:
        raise ValueError(f"{path}: pixels must lie in 0..16, found {pixels.min():g}..{pixels.max():g}")
    if labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{path}: labels must lie in 0..9, found {labels.min():g}..{labels.max():g}")
    return (pixels / 16.0).astype(np.float32), labels.astype(np.int64)


@dataclass
class History:
    """What a training run measured, per epoch, and the final test accuracy."""

    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Test accuracy after the last epoch (0.0 before any)."""
        return self.accuracies[-1] if self.accuracies else 0.0


def split_digits() -> tuple[np.ndarray[Any, Any], ...]:
    """``x_train, y_train, x_test, y_test``: the same ``N_TEST`` shuffled test images on every call.

    A shuffled split (drawn once, with ``SPLIT_SEED``) keeps both sets alike:
    the file's last images are unlike the rest (the demo's MLP scores about
    92 % on the last 360, 98 % on a shuffled 360).

    Example:
        >>> [a.shape for a in split_digits()]
        [(1437, 64), (1437,), (360, 64), (360,)]
    """
    x, y = load_digits()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(x))
    train, test = order[:-N_TEST], order[-N_TEST:]
    return x[train], y[train], x[test], y[test]


def _progress(n: int, desc: str) -> Iterator[int]:
    """``range(n)`` with a progress bar: tqdm when importable, else one line redrawn with ``\\r``."""
    try:
        # optional dependency: the demo runs without it (import_module: no stubs needed)
        tqdm: Any = importlib.import_module("tqdm").tqdm
    except ImportError:
        live = sys.stderr.isatty()  # a redrawn line is noise in a log file
        for i in range(n):
            if live:
                done = (i * 20) // max(n, 1)
                print(f"\r{desc} [{'#' * done}{'.' * (20 - done)}] {i}/{n}", end="", file=sys.stderr, flush=True)
            yield i
        if live:
            print("\r" + " " * (len(desc) + 32) + "\r", end="", file=sys.stderr, flush=True)
        return
    yield from tqdm(range(n), desc=desc, leave=False, ncols=80)


def _batches(n: int, rng: np.random.Generator) -> list[np.ndarray[Any, Any]]:
    """Shuffled index batches of exactly ``BATCH`` (the remainder is dropped: one shape, one compile)."""
    order = rng.permutation(n)
    return [order[i:i + BATCH] for i in range(0, n - BATCH + 1, BATCH)]


def init_mlp(seed: int, sizes: Sequence[int] = (64, HIDDEN, 10)) -> Params:
    """He-initialised weights ``w0, b0, w1, b1...`` for an MLP with layer ``sizes``.

    Example:
        >>> {k: v.shape for k, v in init_mlp(0, (4, 3, 2)).items()}
        {'w0': (4, 3), 'b0': (3,), 'w1': (3, 2), 'b1': (2,)}
    """
    keys = fl.random.split(fl.random.key(seed), len(sizes) - 1)
    params: Params = {}
    for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"w{i}"] = fl.random.normal(keys[i], (m, n)) * float(np.sqrt(2.0 / m))
        params[f"b{i}"] = jnp.zeros(n)
    return params


def mlp(params: Params, x: Any) -> Any:
    """Logits of the MLP: ReLU between the affine layers."""
    n = len(params) // 2
    for i in range(n):
        x = x @ params[f"w{i}"] + params[f"b{i}"]
        if i < n - 1:
            x = nn.relu(x)
    return x


def loss_fn(params: Params, x: Any, y: Any) -> Any:
    """Mean cross entropy of the logits against integer labels ``y``.

    Example:
        >>> p = init_mlp(0, (4, 3, 2))
        >>> float(loss_fn(p, jnp.ones((5, 4)), jnp.zeros(5, dtype=jnp.int32))) > 0
        True
    """
    logp = nn.log_softmax(mlp(params, x))
    return -jnp.mean(jnp.sum(logp * nn.one_hot(y, logp.shape[-1]), axis=-1))


def per_example_grad_norms(params: Params, x: Any, y: Any) -> np.ndarray[Any, Any]:
    """The l2 norm of each example's gradient, from ``vmap(grad(loss))`` over the batch.

    Example:
        >>> p = init_mlp(0, (4, 3, 2))
        >>> per_example_grad_norms(p, jnp.ones((5, 4)), jnp.zeros(5, dtype=jnp.int32)).shape
        (5,)
    """
    def one(p: Params, xi: Any, yi: Any) -> Any:
        return loss_fn(p, xi[None], yi[None])

    grads = fl.vmap(fl.grad(one), in_axes=(None, 0, 0))(params, x, y)
    flat = np.concatenate([np.asarray(g).reshape(len(x), -1) for g in grads.values()], axis=1)
    norms: np.ndarray[Any, Any] = np.sqrt(np.sum(flat.astype(np.float64) ** 2, axis=1))
    return norms


def _accuracy(logits: Any, y: np.ndarray[Any, Any]) -> float:
    return float(np.mean(np.asarray(logits).argmax(axis=1) == y))


def train_functional(epochs: int = EPOCHS, seed: int = 0, verbose: bool = True) -> History:
    """Train the MLP with ``jit(value_and_grad(loss))`` and ``optimizers.adam``.

    Example:
        >>> 0.0 <= train_functional(epochs=1, verbose=False).accuracy <= 1.0
        True
    """
    xtr, ytr, x_test, yte = split_digits()
    xte = jnp.asarray(x_test)
    params = init_mlp(seed)
    opt = optimizers.adam(LEARNING_RATE)
    state = opt.init(params)
    step = fl.jit(fl.value_and_grad(loss_fn))
    update = fl.jit(opt.update)
    predict = fl.jit(mlp)
    rng, hist = np.random.default_rng(seed), History()
    for epoch in range(1, epochs + 1):
        t0, total, batches = time.perf_counter(), 0.0, _batches(len(xtr), rng)
        bar = _progress(len(batches), f"functional epoch {epoch}/{epochs}") if verbose else range(len(batches))
        for i in bar:
            loss, grads = step(params, jnp.asarray(xtr[batches[i]]), jnp.asarray(ytr[batches[i]]))
            updates, state = update(grads, state, params)
            params = optimizers.apply_updates(params, updates)
            total += float(loss)
        hist.losses.append(total / len(batches))
        hist.accuracies.append(_accuracy(predict(params, xte), yte))
        hist.seconds.append(time.perf_counter() - t0)
        _report("functional", epoch, hist, verbose)
    if verbose:
        norms = per_example_grad_norms(params, jnp.asarray(xtr[:BATCH]), jnp.asarray(ytr[:BATCH]))
        print(f"per-example gradient norms (vmap(grad), {BATCH} examples): "
              f"median {np.median(norms):.4f}, max {norms.max():.4f}")
    return hist


def _report(style: str, epoch: int, hist: History, verbose: bool) -> None:
    if verbose:
        print(f"{style} epoch {epoch}: loss {hist.losses[-1]:.4f}  test accuracy {hist.accuracies[-1]:.1%}  "
              f"{hist.seconds[-1]:.2f} s/epoch", flush=True)


def train_torch(epochs: int = EPOCHS, seed: int = 0, verbose: bool = True) -> History:
    """Train the same MLP PyTorch-style: ``nn.Sequential``, ``optim.Adam``, ``backward()``.

    Example:
        >>> 0.0 <= train_torch(epochs=1, verbose=False).accuracy <= 1.0
        True
    """
    xtr, ytr, x_test, yte = split_digits()
    fl.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
    opt = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    criterion = nn.CrossEntropyLoss()
    xte, rng, hist = fl.from_numpy(x_test), np.random.default_rng(seed), History()
    for epoch in range(1, epochs + 1):
        t0, total, batches = time.perf_counter(), 0.0, _batches(len(xtr), rng)
        bar = _progress(len(batches), f"torch epoch {epoch}/{epochs}") if verbose else range(len(batches))
        for i in bar:
            opt.zero_grad()
            loss = criterion(model(fl.from_numpy(xtr[batches[i]])), fl.from_numpy(ytr[batches[i]]))
            loss.backward()
            opt.step()
            total += loss.item()
        with fl.no_grad():
            hist.accuracies.append(_accuracy(model(xte).numpy(), yte))
        hist.losses.append(total / len(batches))
        hist.seconds.append(time.perf_counter() - t0)
        _report("torch", epoch, hist, verbose)
    return hist


def plot(histories: dict[str, History], path: str) -> bool:
    """Write loss and test-accuracy curves to ``path``; False (with a message) without matplotlib."""
    try:
        # optional dependency: only --plot needs it (import_module: no stubs needed)
        importlib.import_module("matplotlib").use("Agg")  # no display needed to write a file
        plt: Any = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        print(f"--plot {path}: matplotlib is not installed (python3 -m pip install matplotlib); no plot written")
        return False
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    for style, hist in histories.items():
        epochs = range(1, len(hist.losses) + 1)
        ax_loss.plot(epochs, hist.losses, label=style)
        ax_acc.plot(epochs, hist.accuracies, label=style)
    ax_loss.set(xlabel="epoch", ylabel="training loss", yscale="log")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy")
    ax_acc.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    print(f"wrote {path}")
    return True


def tour() -> None:
    """The feature tour on toy arrays (``--tour``): views, immutability, transforms, the IR."""
    print(f"functorch_lite {functorch_lite.__version__}\n")

    x = jnp.arange(12, dtype=jnp.float32).reshape(3, 4)
    print("x = jnp.arange(12.).reshape(3, 4)")
    print(x, "\n")

    t = x.T
    print("x.T shares storage, no copy:", t.storage() is x.storage())
    print("  x.stride() =", x.stride(), "  x.T.stride() =", t.stride(),
          "  x.T.is_contiguous() =", t.is_contiguous())
    s = x[1:, ::2]
    print("x[1:, ::2] is a view too: offset", s.storage_offset(), "strides", s.stride())
    print(s, "\n")

    print("Arrays are immutable; x.at[0, 0].set(100.0) returns a new array:")
    y = x.at[0, 0].set(100.0)
    print(y[0].tolist(), " while x[0] is still", x[0].tolist(), "\n")

    print("Broadcasting, promotion (float32 stays float32 with Python scalars):")
    z = x * 2.0 + jnp.array([1.0, 0.0, -1.0, 0.5])
    print(z.dtype, z.shape, "\n")

    print("Reductions and stable softmax:")
    print("  sum over rows:", jnp.sum(x, axis=0).tolist())
    print("  softmax([1000, 1000, 0]):", jnp.softmax(jnp.array([1000.0, 1000.0, 0.0])).tolist(), "\n")

    print("Transforms compose: grad, vmap, jit")

    def loss(w: Any, xb: Any, yb: Any) -> Any:
        return jnp.mean((jnp.tanh(xb @ w) - yb) ** 2)

    w = jnp.ones(4) * 0.1
    xb = x / 10.0
    yb = jnp.array([0.0, 0.5, 1.0])
    print("  grad(loss)(w)            =", fl.grad(loss)(w, xb, yb).tolist())
    per_example = fl.vmap(fl.grad(loss), in_axes=(None, 0, 0))(w, xb[:, None, :], yb[:, None])
    print("  vmap(grad) per example   shape", per_example.shape)
    fast = fl.jit(fl.value_and_grad(loss))
    v, g = fast(w, xb, yb)
    print("  jit(value_and_grad) loss =", f"{float(v):.5f}")
    print("  jacfwd(jacrev) Hessian of sum(sin(w)):", fl.hessian(lambda q: jnp.sum(jnp.sin(q)))(w).shape, "\n")

    print("The IR that jit compiles (make_ir):")
    print(fl.make_ir(lambda q: jnp.sum(jnp.tanh(q) * 2.0))(w))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line (``--help`` lists it).

    Example:
        >>> parse_args(["--epochs", "3", "--style", "torch"]).epochs
        3
    """
    p = argparse.ArgumentParser(prog="python -m functorch_lite.demo", description=(
        "Train a 64-128-10 MLP on the 8x8 handwritten digits shipped with functorch_lite "
        "(UCI, CC BY 4.0), functionally and PyTorch-style, and print test accuracy."))
    p.add_argument("--epochs", type=int, default=EPOCHS, help=f"passes over the training set (default {EPOCHS})")
    p.add_argument("--style", choices=("functional", "torch", "both"), default="both",
                   help="functional: jit(value_and_grad) + optimizers.adam; torch: nn.Module + optim.Adam")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights and batch order (default 0)")
    p.add_argument("--plot", metavar="OUT.png", help="write loss/accuracy curves (needs matplotlib)")
    p.add_argument("--tour", action="store_true", help="run the feature tour on toy arrays instead")
    args = p.parse_args(argv)
    if args.epochs < 1:
        p.error(f"--epochs must be at least 1, got {args.epochs}")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, History]:
    """Run the demo as the command line asks; returns each style's History."""
    args = parse_args(argv)
    if args.tour:
        tour()
        return {}
    print(f"functorch_lite {functorch_lite.__version__}: 8x8 digits ({N_TEST} held out for testing), "
          f"seed {args.seed}, {args.epochs} epochs")
    trainers: dict[str, Callable[..., History]] = {"functional": train_functional, "torch": train_torch}
    styles = list(trainers) if args.style == "both" else [args.style]
    histories = {s: trainers[s](epochs=args.epochs, seed=args.seed) for s in styles}
    for style, hist in histories.items():
        print(f"{style}: test accuracy {hist.accuracy:.1%}, {np.median(hist.seconds):.2f} s per epoch "
              f"(median; epoch 1, which compiles, took {hist.seconds[0]:.2f} s)")
    if args.plot:
        plot(histories, args.plot)
    return histories


if __name__ == "__main__":
    main()
