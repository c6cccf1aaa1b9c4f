"""The digits demo: the shipped data, its loader's checks, the command line, both training styles."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest

import functorch_lite as fl
import functorch_lite.numpy as jnp
from functorch_lite import demo


def _oracle_digits() -> tuple[np.ndarray, np.ndarray]:
    """The shipped file parsed with the csv module, independently of load_digits."""
    with gzip.open(demo.DIGITS_PATH, "rt") as f:
        rows = [[int(v) for v in row] for row in csv.reader(f)]
    a = np.array(rows)
    return a[:, :64], a[:, 64]


def test_load_digits_matches_the_file() -> None:
    x, y = demo.load_digits()
    pixels, labels = _oracle_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert sorted(set(y.tolist())) == list(range(10))
    np.testing.assert_array_equal(y, labels)
    np.testing.assert_array_equal(x, (pixels / 16.0).astype(np.float32))
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_split_is_fixed_disjoint_and_complete() -> None:
    xtr, ytr, xte, yte = demo.split_digits()
    assert xtr.shape == (1797 - demo.N_TEST, 64) and xte.shape == (demo.N_TEST, 64)
    x, _ = demo.load_digits()
    rows = {r.tobytes() for r in x}
    assert {r.tobytes() for r in np.concatenate([xtr, xte])} == rows
    np.testing.assert_array_equal(demo.split_digits()[3], yte)


def _write(tmp_path: Path, text: str | bytes, compress: bool = True) -> Path:
    path = tmp_path / "digits.csv.gz"
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


ROW = ",".join(["3"] * 64) + ",7\n"


@pytest.mark.parametrize(("content", "compress", "message"), [
    (ROW, False, "not a gzipped CSV"),
    (b"\x1f\x8b\x08\x00garbage", False, "not a gzipped CSV"),
    ("1,2,x\n", True, "not a gzipped CSV"),
    ("", True, "shape"),
    (",".join(["3"] * 64) + "\n", True, "65 numbers"),
    (ROW + ",".join(["3"] * 66) + "\n", True, "not a gzipped CSV"),
    (ROW.replace("3", "17", 1), True, "pixels must lie in 0..16"),
    (ROW.replace("3", "-1", 1), True, "pixels must lie in 0..16"),
    (ROW.replace(",7\n", ",10\n"), True, "labels must lie in 0..9"),
    (ROW.replace("3", "1.5", 1), True, "finite integer"),
    (ROW.replace("3", "nan", 1), True, "finite integer"),
])
def test_malformed_file_raises_a_clear_error(tmp_path: Path, content: str | bytes, compress: bool,
                                             message: str) -> None:
    path = _write(tmp_path, content, compress)
    with pytest.raises(ValueError, match=message) as info:
        demo.load_digits(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_raises(tmp_path: Path) -> None:
    whole = gzip.compress((ROW * 50).encode())
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match="not a gzipped CSV"):
        demo.load_digits(path)


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        demo.load_digits(tmp_path / "absent.csv.gz")


def test_help_lists_the_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        demo.main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--epochs", "--style", "--seed", "--plot", "--tour", "functional", "torch"):
        assert option in out


def test_bad_epochs_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        demo.main(["--epochs", "0"])
    assert info.value.code == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err


def test_per_example_grad_norms_match_one_grad_per_example() -> None:
    params = demo.init_mlp(1, (4, 3, 2))
    x = jnp.asarray(np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32))
    y = jnp.asarray(np.array([0, 1, 1, 0, 1], dtype=np.int32))
    norms = demo.per_example_grad_norms(params, x, y)
    for i in range(5):
        g = fl.grad(demo.loss_fn)(params, x[i:i + 1], y[i:i + 1])
        expected = np.sqrt(sum(float(np.sum(np.asarray(v, dtype=np.float64) ** 2)) for v in g.values()))
        np.testing.assert_allclose(norms[i], expected, rtol=1e-4)


def test_one_epoch_of_each_style(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plot = tmp_path / "curves.png"
    histories = demo.main(["--epochs", "1", "--style", "both", "--plot", str(plot)])
    assert set(histories) == {"functional", "torch"}
    for hist in histories.values():
        assert 0.0 <= hist.accuracy <= 1.0
        assert len(hist.losses) == len(hist.seconds) == 1 and np.isfinite(hist.losses[0])
    out = capsys.readouterr().out
    assert "per-example gradient norms" in out and "s per epoch" in out
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    assert plot.exists() == has_matplotlib
    assert has_matplotlib or "matplotlib is not installed" in out


def test_plain_progress_bar_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    real = demo.importlib.import_module

    def no_tqdm(name: str) -> object:
        if name == "tqdm":
            raise ImportError(name)
        return real(name)

    stream = io.StringIO()
    monkeypatch.setattr(demo.importlib, "import_module", no_tqdm)
    monkeypatch.setattr(stream, "isatty", lambda: True)
    monkeypatch.setattr(demo.sys, "stderr", stream)
    assert list(demo._progress(4, "epoch 1/1")) == [0, 1, 2, 3]
    assert "epoch 1/1 [" in stream.getvalue() and "3/4" in stream.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("style", ["functional", "torch"])
def test_default_run_reaches_95_percent(style: str) -> None:
    hist = demo.main(["--style", style])[style]
    assert len(hist.accuracies) == demo.EPOCHS
    assert hist.accuracy >= 0.95


@pytest.mark.slow
def test_tour_still_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main(["--tour"]) == {}
    assert "The IR that jit compiles" in capsys.readouterr().out


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "0," * (demo.MAX_TEXT // 2 + 1))
    with pytest.raises(ValueError, match="once decompressed"):
        demo.load_digits(path)
