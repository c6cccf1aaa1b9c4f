"""Where the time of one jitted MLP training step goes: per IR equation /
fused kernel, and the Python overhead around them (issue 16, item 7).

    python benchmarks/profile_mlp_step.py                    # SGD step, one-hot loss
    python benchmarks/profile_mlp_step.py --labels int       # integer labels (take_along_axis)
    python benchmarks/profile_mlp_step.py --fn value_and_grad --repeat 500 --ir

The step is the one of bench_transforms.py (MLP 784-256-256-10, batch 128,
float32, single-threaded BLAS).  ``jit`` runs a program as one generated
Python function (``Lowered.as_text()`` shows it) that calls, step by step,
either a primitive's ``impl`` (``I<t>(...)  # dot_general``) or a fused
kernel (``# kernel k: fused ...``: the stride check, output allocation and
Numba call).  This script copies that function with a clock read before
each step, runs it ``--repeat`` times on the same inputs and prints each
step's median, beside:

- *jit dispatch*: a whole ``step(...)`` call minus the runner's own time
  (flattening the arguments, the signature lookup, building the outputs);
- *glue*: the instrumented runner's time outside its steps (argument
  unpacking, the output list); a step includes its ``del`` of dead values;
- the steps' sum split into BLAS-backed equations (``dot_general``, and
  ``dot_update``: a weight update folded into its GEMM), other
  un-fused equations and fused kernels.

Re-run it after a change to a pass or to code generation: a step that got
slower, or a kernel that stopped fusing, shows up directly.
"""

from __future__ import annotations

import argparse  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import _one_cpu  # noqa: E402, F401  (first: one thread per library, on one CPU)
import numpy as np  # noqa: E402
from bench_transforms import fl_loss, fl_loss_int, fl_sgd_step, make_mlp  # noqa: E402

import functorch_lite as fl  # noqa: E402
import functorch_lite.numpy as jnp  # noqa: E402
from functorch_lite.transforms import jit as jit_module  # noqa: E402

_EQN = re.compile(r"^    (?:[\w, ]+= )?(?:IN_PLACE\()?I\d+[(,].*\)  # (\w+(?:, in place)?)$")
_KERNEL = re.compile(r"^    # (kernel \d+: fused .*)$")


def build(fn: str, labels: str) -> tuple[Any, tuple[Any, ...]]:
    """The jitted function and its arguments."""
    params_np, x_np, y_np = make_mlp()
    params = [jnp.array(p) for p in params_np]
    x = jnp.array(x_np)
    if labels == "int":
        y = jnp.array(np.argmax(y_np, axis=1).astype(np.int32))
        loss: Callable[..., Any] = fl_loss_int
    else:
        y = jnp.array(y_np)
        loss = fl_loss
    if fn == "value_and_grad":
        return fl.jit(fl.value_and_grad(loss)), (params, x, y)
    if labels == "int":
        def step(ps: list[Any], xx: Any, yy: Any) -> list[Any]:
            grads = fl.grad(fl_loss_int)(ps, xx, yy)
            return [p - 0.1 * g for p, g in zip(ps, grads)]
        return fl.jit(step), (params, x, y)
    return fl.jit(fl_sgd_step), (params, x, y)


def runner_source(text: str) -> str:
    """The generated ``run`` function out of ``Lowered.as_text()``."""
    body = text.split("# the generated runner\n", 1)[1]
    return body.split("\n\n# kernel ", 1)[0].rstrip() + "\n"


def instrument(src: str) -> tuple[str, list[str]]:
    """``src`` with ``_mark(i)`` before every step (and before ``return``); the steps' labels."""
    out: list[str] = []
    labels: list[str] = []
    for line in src.splitlines():
        m_eqn, m_ker = _EQN.match(line), _KERNEL.match(line)
        if m_eqn or m_ker or line.startswith("    return "):
            out.append(f"    _mark({len(labels)})")
            labels.append(m_ker.group(1) if m_ker else m_eqn.group(1) if m_eqn else "<return>")
        out.append(line)
    return "\n".join(out) + "\n", labels


def profile(fn: str, labels_kind: str, repeat: int, show_ir: bool) -> str:
    jitted, args = build(fn, labels_kind)
    for _ in range(3):  # compile (or load) and warm up
        jitted(*args)
    lowered = jitted.lower(*args)
    executable = lowered._entry.executable
    _, leaves, _, _ = jitted._split(args, {})
    leaves = [jit_module._to_arg(v) for v in leaves]
    src, step_labels = instrument(runner_source(lowered.as_text()))
    stamps: list[float] = [0.0] * len(step_labels)
    clock = time.perf_counter

    def _mark(i: int) -> None:
        stamps[i] = clock()

    ns = dict(executable.run.__globals__)
    ns["_mark"] = _mark
    exec(compile(src, "<instrumented runner>", "exec"), ns)
    run_instr = ns["run"]
    per_step: list[list[float]] = [[] for _ in step_labels[:-1]]
    whole, runner, instr, glue = [], [], [], []
    for _ in range(repeat):
        t0 = clock()
        jitted(*args)
        t1 = clock()
        executable.run(leaves)
        t2 = clock()
        run_instr(leaves)
        t3 = clock()
        for i in range(len(per_step)):
            per_step[i].append(stamps[i + 1] - stamps[i])
        whole.append(t1 - t0)
        runner.append(t2 - t1)
        instr.append(t3 - t2)
        glue.append((t3 - t2) - (stamps[-1] - stamps[0]))
    med = [statistics.median(v) for v in per_step]
    t_whole, t_runner = statistics.median(whole), statistics.median(runner)
    t_instr, t_glue = statistics.median(instr), statistics.median(glue)
    t_steps = sum(med)

    def us(s: float) -> str:
        return f"{s * 1e6:9.1f} us"

    def row(name: str, t: float) -> str:
        return f"{name:<44} {us(t)} {t / t_whole:7.1%}"

    lines = [f"jit({fn}) of the MLP, {labels_kind} labels: medians of {repeat} calls", ""]
    if show_ir:
        lines += [lowered.as_text(), ""]
    lines.append(f"{'step':<100} {'median':>12} {'share':>7}")
    for label, t in zip(step_labels, med):
        lines.append(f"{label[:100]:<100} {us(t)} {t / t_whole:7.1%}")
    blas = sum(t for lab, t in zip(step_labels, med) if lab in ("dot_general", "dot_update"))
    fused = sum(t for lab, t in zip(step_labels, med) if lab.startswith("kernel "))
    n_fused = sum(lab.startswith("kernel ") for lab in step_labels)
    lines += [
        "",
        row("whole jitted call", t_whole),
        row("  jit dispatch (call - runner)", t_whole - t_runner),
        row("  runner", t_runner),
        "",
        row("instrumented runner", t_instr),
        row("  glue before the first / after the last step", t_glue),
        row("  steps", t_steps),
        row("    dot_general/dot_update (BLAS)", blas),
        row(f"    fused kernels ({n_fused})", fused),
        row("    other equations", t_steps - blas - fused),
        "(the instrumented runner's extra time over the runner's is the clock reads themselves)",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fn", choices=["sgd_step", "value_and_grad"], default="sgd_step")
    ap.add_argument("--labels", choices=["one-hot", "int"], default="one-hot")
    ap.add_argument("--repeat", type=int, default=300)
    ap.add_argument("--ir", action="store_true", help="also print the IR and the generated code")
    args = ap.parse_args()
    print(profile(args.fn, args.labels, args.repeat, args.ir))


if __name__ == "__main__":
    main()
