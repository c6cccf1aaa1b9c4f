"""Convolution kernels behind ``conv_general_dilated`` (canonical layout).

The operands come in the primitive's canonical layout: ``lhs`` is ``(N, C,
*spatial)``, ``rhs`` is ``(O, I, *window)``, the output ``(N_out, O,
*out_spatial)``.  1-D and 2-D convolutions are 3-D ones with unit leading
dims (a free reshape).  Every path is a patch gather (Numba) feeding BLAS
GEMMs (``np.matmul`` into the output, at the hardware limit), chosen by shape:

- a 1x1 window without stride/padding/dilation: one GEMM of the input itself;
- a 3x3 2-D window, stride 1, no dilation or groups, non-negative padding,
  at least ``WINO_MIN_CHANNELS`` input channels, finite float32/64
  operands (a CNN's layer, and its lhs cotangent): Winograd's F(2x2, 3x3)
  (``_conv_winograd``), 16 GEMMs over transformed tiles, 2.25x fewer
  products; its transpose computes the rhs cotangent of such a layer (a 3x3
  output of batch-swapped operands, ``_conv_winograd_rhs_ct``);
- stride 1 (``_conv_shifted``; also the lhs cotangent, whose lhs dilation is
  baked into a dilated, padded copy of the input): each output row is
  computed over the full padded width, so that a patch row is one contiguous
  run of the padded input (a memcpy) and the junk columns are dropped by a
  compacting copy (``_drop_junk``); with at most ``DIRECT_MAX_FEATURES``
  output features per group (a GEMM with a few rows is a pass over a 9x
  patch buffer) a Numba loop accumulates in place instead;
- a window wider than the output (the rhs cotangent's convolution, whose
  window is the output cotangent): without groups or dilation, PyTorch's
  weight gradient (``_conv_window_out``): per chunk of images one buffer of
  whole padded rows and one GEMM contracting batch and positions, the
  batch-swapped operands read in place; else per-position GEMMs over whole
  padded rows read in place (``_conv_small_out``) for a large batch, else a
  row buffer ``cols[g, (n, p), (c, k...)]`` gathered along the window
  (``_im2row``);
- otherwise (strides): ``cols[n, g, (c, k...), p]`` gathered as strided
  blocks (``_im2col_blocks``), or through the index tables when the lhs is
  dilated (``_im2col``).

Strides, padding (negative too: it crops), lhs dilation (holes between the
input elements) and rhs dilation (holes between the window taps) are index
arithmetic settled once per call in small NumPy tables: for each spatial
dim, ``table[k, o]`` is the input index that window tap ``k`` of output
position ``o`` reads, or -1 where it reads a zero; the kernels' ranges come
from them, so nothing a kernel reads is out of bounds.  Inner loops index
views from 0 by their loop variable (no negative-index wraparound test, so
copies vectorise: measured 10x faster than ``a[base + j]``).

Feature groups split the channels (group ``g`` reads channels ``g*C/G ...``);
batch groups split the lhs batch (group ``g`` reads images ``g*N/B ...``)
and pair group ``g`` with the ``g``-th block of output features, XLA's
semantics, which the rhs cotangent of a grouped convolution needs.

Patch buffers are sized for the L2 cache (``CHUNK_BYTES``, 256 KiB: measured
best here) and processed a chunk of images at a time; large outputs and the
padded input come from the buffer pool (no page faults when reused).
Integers and bool use ``np.matmul``'s exact loops (wrapping like JAX's
integer convolution; bool is an OR of ANDs).

Example:
    >>> x = np.arange(5, dtype=np.float64).reshape(1, 1, 5)
    >>> w = np.ones((1, 1, 2))
    >>> conv(x, w, (1,), ((0, 0),), (1,), (1,), 1, 1, np.dtype("float64")).tolist()
    [[[1.0, 3.0, 5.0, 7.0]]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from functorch_lite.ops.kernels import buffer_pool
from functorch_lite.ops.kernels._njit import njit_cached

NDArray = np.ndarray[Any, Any]

#: bytes of patch buffer per chunk of images (about an L2 cache)
CHUNK_BYTES = 1 << 18
#: at most this many output features per group go to the direct (no patch buffer) loop
DIRECT_MAX_FEATURES = 4


@njit_cached(error_model="numpy")
def _im2col(x: Any, cols: Any, n0: int, img_step: int, ch_step: int,
            td: Any, th: Any, tw: Any, w_lo: Any, w_hi: Any, w_step: int) -> None:  # pragma: no cover - compiled
    """cols[n, g, (c, kd, kh, kw), (od, oh, ow)] = x[n0 + n + g*img_step,
    g*ch_step + c, td[kd, od], th[kh, oh], tw[kw, ow]], 0 where a table is -1.

    ``x`` is C-contiguous (N, C, D, H, W); ``cols`` C-contiguous (nb, G, R, P).
    With ``w_step > 0`` the last table is affine on ``[w_lo[kw], w_hi[kw])``
    (no lhs dilation there): that run is a strided copy, contiguous for stride 1.
    """
    nb, ng = cols.shape[0], cols.shape[1]
    cg = x.shape[1] if ch_step == 0 else ch_step
    kd_n, od_n = td.shape
    kh_n, oh_n = th.shape
    kw_n, ow_n = tw.shape
    zero = cols.dtype.type(0)
    for n in range(nb):
        for g in range(ng):
            img = n0 + n + g * img_step
            r = 0
            for c in range(cg):
                ch = g * ch_step + c
                for kd in range(kd_n):
                    for kh in range(kh_n):
                        for kw in range(kw_n):
                            row = cols[n, g, r]
                            lo, hi = w_lo[kw], w_hi[kw]
                            s0 = tw[kw, lo] if lo < hi else 0
                            p = 0
                            for od in range(od_n):
                                sd = td[kd, od]
                                for oh in range(oh_n):
                                    sh = th[kh, oh]
                                    if sd < 0 or sh < 0:
                                        for ow in range(ow_n):
                                            row[p + ow] = zero
                                    elif w_step > 0:
                                        # slices indexed from 0: see _shifted_cols
                                        seg = row[p:p + ow_n]
                                        for ow in range(lo):
                                            seg[ow] = zero
                                        src = x[img, ch, sd, sh][s0:s0 + (hi - lo - 1) * w_step + 1:w_step]
                                        mid = seg[lo:hi]
                                        for j in range(hi - lo):
                                            mid[j] = src[j]
                                        for ow in range(hi, ow_n):
                                            seg[ow] = zero
                                    else:
                                        src = x[img, ch, sd, sh]
                                        for ow in range(ow_n):
                                            sw = tw[kw, ow]
                                            row[p + ow] = src[sw] if sw >= 0 else zero
                                    p += ow_n
                            r += 1


@njit_cached(error_model="numpy")
def _im2col_blocks(x: Any, cols: Any, n0: int, img_step: int, ch_step: int, runs: Any,
                   steps: Any) -> None:  # pragma: no cover - compiled
    """``_im2col`` without lhs dilation: for each tap, the valid outputs of each
    spatial dim are a range ``[lo, hi)`` reading input ``s0 + (o - lo) * stride``,
    so each (row, od) is one 2-D strided block copy and a zero border.

    ``runs[d, k] = (lo, hi, s0)`` for spatial dim ``d`` and tap ``k``;
    ``steps`` the strides.  ``cols`` C-contiguous (nb, G, R, OD*OH*OW).
    """
    nb, ng = cols.shape[0], cols.shape[1]
    cg = x.shape[1] if ch_step == 0 else ch_step
    od_n, oh_n, ow_n = runs[0, 0, 3], runs[1, 0, 3], runs[2, 0, 3]
    kd_n, kh_n, kw_n = runs[0, 0, 4], runs[1, 0, 4], runs[2, 0, 4]
    sd, sh, sw = steps[0], steps[1], steps[2]
    zero = cols.dtype.type(0)
    for n in range(nb):
        for g in range(ng):
            img = n0 + n + g * img_step
            r = 0
            for c in range(cg):
                plane = x[img, g * ch_step + c]
                for kd in range(kd_n):
                    dlo, dhi, d0 = runs[0, kd, 0], runs[0, kd, 1], runs[0, kd, 2]
                    for kh in range(kh_n):
                        hlo, hhi, h0 = runs[1, kh, 0], runs[1, kh, 1], runs[1, kh, 2]
                        for kw in range(kw_n):
                            wlo, whi, w0 = runs[2, kw, 0], runs[2, kw, 1], runs[2, kw, 2]
                            row = cols[n, g, r].reshape((od_n, oh_n, ow_n))
                            for od in range(od_n):
                                blk = row[od]
                                if od < dlo or od >= dhi or hhi <= hlo or whi <= wlo:
                                    for i in range(oh_n):
                                        for j in range(ow_n):
                                            blk[i, j] = zero
                                    continue
                                # views indexed from 0 by loop variables: see _shifted_cols
                                src = plane[d0 + (od - dlo) * sd, h0:h0 + (hhi - hlo - 1) * sh + 1:sh,
                                            w0:w0 + (whi - wlo - 1) * sw + 1:sw]
                                for i in range(hlo):
                                    for j in range(ow_n):
                                        blk[i, j] = zero
                                for i in range(hhi, oh_n):
                                    for j in range(ow_n):
                                        blk[i, j] = zero
                                mid = blk[hlo:hhi]
                                for i in range(hhi - hlo):
                                    line = mid[i]
                                    s_line = src[i]
                                    for j in range(wlo):
                                        line[j] = zero
                                    seg = line[wlo:whi]
                                    for j in range(whi - wlo):
                                        seg[j] = s_line[j]
                                    for j in range(whi, ow_n):
                                        line[j] = zero
                            r += 1


@njit_cached(error_model="numpy")
def _im2row(x: Any, cols: Any, n0: int, img_step: int, ch_step: int,
            td: Any, th: Any, twt: Any, k_lo: Any, k_hi: Any, k_step: int) -> None:  # pragma: no cover - compiled
    """cols[g, n*P + (od, oh, ow), (c, kd, kh, kw)] = the same patch elements as
    ``_im2col`` (``twt`` is the last table transposed: [ow, kw]); for a small
    output and a large window, where the window's rows are the long runs.

    ``cols`` is C-contiguous (G, nb*P, R).  With ``k_step > 0`` the table row
    of output ``ow`` is affine on ``[k_lo[ow], k_hi[ow])``: a strided copy.
    """
    ng = cols.shape[0]
    kd_n, od_n = td.shape
    kh_n, oh_n = th.shape
    ow_n, kw_n = twt.shape
    p_n = od_n * oh_n * ow_n
    nb = cols.shape[1] // max(p_n, 1)
    cg = x.shape[1] if ch_step == 0 else ch_step
    zero = cols.dtype.type(0)
    for g in range(ng):
        for n in range(nb):
            img = n0 + n + g * img_step
            q = n * p_n
            for od in range(od_n):
                for oh in range(oh_n):
                    for ow in range(ow_n):
                        row = cols[g, q]
                        r = 0
                        for c in range(cg):
                            ch = g * ch_step + c
                            for kd in range(kd_n):
                                sd = td[kd, od]
                                for kh in range(kh_n):
                                    sh = th[kh, oh]
                                    if sd < 0 or sh < 0:
                                        for kw in range(kw_n):
                                            row[r + kw] = zero
                                    elif k_step > 0:
                                        # slices indexed from 0: see _shifted_cols
                                        lo, hi = k_lo[ow], k_hi[ow]
                                        seg = row[r:r + kw_n]
                                        for kw in range(lo):
                                            seg[kw] = zero
                                        if hi > lo:
                                            s0 = twt[ow, lo]
                                            src = x[img, ch, sd, sh][s0:s0 + (hi - lo - 1) * k_step + 1:k_step]
                                            mid = seg[lo:hi]
                                            for j in range(hi - lo):
                                                mid[j] = src[j]
                                        for kw in range(hi, kw_n):
                                            seg[kw] = zero
                                    else:
                                        src = x[img, ch, sd, sh]
                                        for kw in range(kw_n):
                                            sw = twt[ow, kw]
                                            row[r + kw] = src[sw] if sw >= 0 else zero
                                    r += kw_n
                        q += 1


@njit_cached(error_model="numpy")
def _shifted_cols(xp: Any, cols: Any, n0: int, img_step: int, ch_step: int, n_ch: int, plane: int,
                  row_len: int, od_n: int, run: int, off_d: Any, off_hw: Any) -> None:  # pragma: no cover - compiled
    """Stride-1 patches on the padded grid: cols[n, g, (c, kd, khw), od*run + j] =
    xp[((img*n_ch + ch) * plane) + (od + off_d[kd]) * row_len + off_hw[khw] + j].

    ``xp`` is the flat dilated+padded lhs (plus slack at the end), ``cols``
    C-contiguous (nb, G, R, od_n*run); each row is ``od_n`` contiguous copies.
    """
    nb, ng = cols.shape[0], cols.shape[1]
    cg = n_ch if ch_step == 0 else ch_step
    kd_n = off_d.shape[0]
    khw_n = off_hw.shape[0]
    for n in range(nb):
        for g in range(ng):
            img = n0 + n + g * img_step
            r = 0
            for c in range(cg):
                base = (img * n_ch + g * ch_step + c) * plane
                for kd in range(kd_n):
                    for khw in range(khw_n):
                        row = cols[n, g, r]
                        for od in range(od_n):
                            s0 = base + (od + off_d[kd]) * row_len + off_hw[khw]
                            # slices indexed from 0 by the loop variable: no negative-index
                            # wraparound test, so the copy vectorises (measured 10x faster)
                            src = xp[s0:s0 + run]
                            dst = row[od * run:(od + 1) * run]
                            for j in range(run):
                                dst[j] = src[j]
                        r += 1


@njit_cached(error_model="numpy")
def _shifted_direct(xp: Any, wg: Any, out: Any, img_step: int, ch_step: int, n_ch: int, plane: int,
                    row_len: int, od_n: int, run: int, off_d: Any, off_hw: Any) -> None:  # pragma: no cover - compiled
    """The same products as ``_shifted_cols`` + GEMM, accumulated in place:
    out[n, g, o, od*run + j] = sum over (c, kd, khw) of wg[g, o, (c, kd, khw)] * patch,
    for few output features per group (a GEMM with 1-4 rows is a memory-bound
    pass over a patch buffer 9x the input; this reads the input in place).

    ``out`` is C-contiguous (N, G, O/G, od_n*run), zero on entry.
    """
    nb, ng, og = out.shape[0], out.shape[1], out.shape[2]
    cg = n_ch if ch_step == 0 else ch_step
    kd_n = off_d.shape[0]
    khw_n = off_hw.shape[0]
    for n in range(nb):
        for g in range(ng):
            img = n + g * img_step
            for o in range(og):
                dst = out[n, g, o]
                r = 0
                for c in range(cg):
                    base = (img * n_ch + g * ch_step + c) * plane
                    for kd in range(kd_n):
                        for khw in range(khw_n):
                            coef = wg[g, o, r]
                            for od in range(od_n):
                                s0 = base + (od + off_d[kd]) * row_len + off_hw[khw]
                                src = xp[s0:s0 + run]
                                acc = dst[od * run:(od + 1) * run]
                                for j in range(run):
                                    acc[j] += coef * src[j]
                            r += 1


@njit_cached(error_model="numpy")
def _window_cols(xp: Any, cols: Any, n0: int, n_ch: int, plane: int, hw: int, row_len: int, pd_n: int, ph_n: int,
                 pw_n: int, off: Any) -> None:  # pragma: no cover - compiled
    """Patches of a window-sized output, transposed for the batch contraction,
    over the full padded width (see ``_conv_shifted``): cols[(c, k), n, (pd,
    ph, j)] = xp[((n0 + n) * n_ch + c) * plane + off[k] + pd * hw + ph *
    row_len + j] for ``j < pw_n``, 0 for the junk columns ``pw_n <= j <
    row_len`` (which may read a non-finite element: 0 * inf is nan).

    ``xp`` is the flat padded lhs (with slack at the end); ``cols``
    C-contiguous (n_ch * K, nb, pd_n * ph_n * row_len).
    """
    nb = cols.shape[1]
    k_n = off.shape[0]
    run = ph_n * row_len
    zero = cols.dtype.type(0)
    for n in range(nb):
        for c in range(n_ch):
            base = ((n0 + n) * n_ch + c) * plane
            for k in range(k_n):
                row = cols[c * k_n + k, n]
                for pd in range(pd_n):
                    s0 = base + off[k] + pd * hw
                    # slices indexed from 0: see _shifted_cols
                    src = xp[s0:s0 + run]
                    dst = row[pd * run:(pd + 1) * run]
                    for j in range(run):
                        dst[j] = src[j]
                    for ph in range(ph_n):
                        junk = dst[ph * row_len + pw_n:(ph + 1) * row_len]
                        for j in range(row_len - pw_n):
                            junk[j] = zero


@njit_cached(error_model="numpy")
def _drop_junk(wide: Any, out: Any) -> None:  # pragma: no cover - compiled
    """out[a, b, c, d, :] = wide[a, b, c, d, :W]: the whole-row outputs without
    their junk columns (NumPy's strided copy of 14-element rows is 4x slower)."""
    na, nb, nc, nd, nw = out.shape
    for a in range(na):
        for b in range(nb):
            for c in range(nc):
                for d in range(nd):
                    src = wide[a, b, c, d]
                    dst = out[a, b, c, d]
                    for j in range(nw):
                        dst[j] = src[j]


#: Winograd kernels index their flat scratch with unsigned indices: Numba then adds no
#: negative-index wraparound test, so LLVM sees affine (stride-2) accesses and vectorises
#: them (a signed ``buf[2 * i + 1]`` stays scalar; and so did any slice made per row:
#: a view costs a reference count, measured 3-4x slower).
_U = np.uint64


@njit_cached(error_model="numpy")
def _wino_in(xf: Any, v: Any, pbuf: Any, vbuf: Any, side: Any, sv: Any, n0: int, n_ch: int, hh: int, ww: int,
             th: int, tw: int, plo: int, qlo: int) -> None:  # pragma: no cover - compiled
    """Winograd F(2x2, 3x3) input transform: v[:, c, (n, ti, tj)] = B^T d B of the
    4x4 tile ``d`` at (2 ti, 2 tj) of image ``n0 + n`` channel ``c`` of the lhs
    zero-padded by (``plo``, ``qlo``) at the top and left; ``v`` is (16, C, nb *
    th * tw), ``xf`` the flat C-contiguous lhs (N, C, hh, ww).

    Per channel: the padded rows are copied, split by row parity, with ``2 tw``
    columns (``pbuf`` (2, nb, th + 1, 2 tw), zero where nothing is copied; the
    columns ``2 tw``, ``2 tw + 1`` go to ``side``, laid out alike with rows of 2);
    B^T along the columns is then one pass over whole rows into ``vbuf`` (4, nb,
    th, 2 tw) (and ``sv``, of ``side``; ``_wino_in_cols``), and B along the rows
    one pass over all the channel's tiles, reading ``vbuf`` at stride 2: both
    vectorise.  There the last tile of a tile row reads the next row's first
    columns in place of ``2 tw``, ``2 tw + 1``: those tiles are then recomputed
    with ``sv``.  Every row of the lhs is read once, and no padded copy is made.
    """
    t = th * tw
    nb = v.shape[2] // t
    nc = v.shape[1]
    w2 = 2 * tw
    pstride = (th + 1) * w2
    ps = pbuf.shape[0] // 2
    ss = side.shape[0] // 2
    ncopy = max(0, min(ww, w2 - qlo))
    hw = hh * ww
    vs = vbuf.shape[0] // 4
    svs = sv.shape[0] // 4
    for c in range(nc):
        for n in range(nb):
            xb = ((n0 + n) * n_ch + c) * hw
            for r in range(hh):
                rr = r + plo
                db = (rr % 2) * ps + n * pstride + (rr // 2) * w2 + qlo
                sb = xb + r * ww
                for j in range(ncopy):
                    pbuf[_U(db + j)] = xf[_U(sb + j)]
                for j in range(ncopy, ww):
                    side[_U((rr % 2) * ss + (n * (th + 1) + rr // 2) * 2 + qlo + j - w2)] = xf[_U(sb + j)]
        _wino_in_cols(pbuf, vbuf, nb, th, w2)
        _wino_in_cols(side, sv, nb, th, 2)
        for kv in range(4):
            s0 = v[4 * kv, c]
            s1 = v[4 * kv + 1, c]
            s2 = v[4 * kv + 2, c]
            s3 = v[4 * kv + 3, c]
            kb = kv * vs
            for f in range(nb * t):
                i = kb + 2 * f
                a0 = vbuf[_U(i)]
                a1 = vbuf[_U(i + 1)]
                a2 = vbuf[_U(i + 2)]
                a3 = vbuf[_U(i + 3)]
                s0[f] = a0 - a2
                s1[f] = a1 + a2
                s2[f] = a2 - a1
                s3[f] = a1 - a3
        # the last tile of each tile row (r = (n, ti)), with the columns past 2 tw
        for kv in range(4):
            for r in range(nb * th):
                f = r * tw + tw - 1
                c0 = vbuf[_U(kv * vs + r * w2 + w2 - 2)]
                c1 = vbuf[_U(kv * vs + r * w2 + w2 - 1)]
                sa = sv[_U(kv * svs + 2 * r)]
                sb = sv[_U(kv * svs + 2 * r + 1)]
                v[4 * kv, c, f] = c0 - sa
                v[4 * kv + 1, c, f] = c1 + sa
                v[4 * kv + 2, c, f] = sa - c1
                v[4 * kv + 3, c, f] = c1 - sb


@njit_cached(error_model="numpy")
def _wino_in_cols(pbuf: Any, vbuf: Any, nb: int, th: int, w2: int) -> None:  # pragma: no cover - compiled
    """B^T along the columns: vbuf[kv, n, ti] = (r0 - r2, r1 + r2, r2 - r1, r1 - r3)[kv]
    of the padded rows ``r_i = 2 ti + i``, whole rows (see ``_wino_in``)."""
    ps = pbuf.shape[0] // 2
    vs = vbuf.shape[0] // 4
    pstride = (th + 1) * w2
    vlen = th * w2
    for n in range(nb):
        pb = n * pstride
        vb = n * vlen
        # few streams per loop: LLVM vectorises only under a limit of runtime alias checks
        # (one loop storing all 16 transforms of a tile stayed scalar)
        for g in range(vlen):
            e0 = pbuf[_U(pb + g)]
            e1 = pbuf[_U(pb + w2 + g)]
            o0 = pbuf[_U(ps + pb + g)]
            o1 = pbuf[_U(ps + pb + w2 + g)]
            vbuf[_U(vb + g)] = e0 - e1
            vbuf[_U(3 * vs + vb + g)] = o0 - o1
        for g in range(vlen):
            e1 = pbuf[_U(pb + w2 + g)]
            o0 = pbuf[_U(ps + pb + g)]
            vbuf[_U(vs + vb + g)] = o0 + e1
            vbuf[_U(2 * vs + vb + g)] = e1 - o0


@njit_cached(error_model="numpy")
def _wino_out(m: Any, out: Any, wbuf: Any, n0: int, th: int, tw: int) -> None:  # pragma: no cover - compiled
    """Winograd F(2x2, 3x3) output transform: the 2x2 block (2 ti, 2 tj) of
    out[n0 + n, o] is A^T M A of m[:, o, (n, ti, tj)] (cropped at the edges).

    Per output feature: A along the rows, one pass over all tiles writing both
    columns of a block side by side (``wbuf`` (4, nb, th, 2 tw): it vectorises),
    then A^T along the columns from whole rows of it into the output rows.
    """
    t = th * tw
    nb = m.shape[2] // t
    ws = wbuf.shape[0] // 4
    oh, ow = out.shape[2], out.shape[3]
    w2 = 2 * tw
    for o in range(m.shape[1]):
        for kv in range(4):
            m0 = m[4 * kv, o]
            m1 = m[4 * kv + 1, o]
            m2 = m[4 * kv + 2, o]
            m3 = m[4 * kv + 3, o]
            kb = kv * ws
            for f in range(nb * t):
                b1 = m1[f]
                b2 = m2[f]
                wbuf[_U(kb + 2 * f)] = m0[f] + b1 + b2
                wbuf[_U(kb + 2 * f + 1)] = b1 - b2 - m3[f]
        for n in range(nb):
            dst = out[n0 + n, o]
            for ti in range(th):
                y = 2 * ti
                b = n * 2 * t + ti * w2
                if y + 1 < oh:
                    for j in range(ow):
                        a1 = wbuf[_U(ws + b + j)]
                        a2 = wbuf[_U(2 * ws + b + j)]
                        dst[y, j] = wbuf[_U(b + j)] + a1 + a2
                        dst[y + 1, j] = a1 - a2 - wbuf[_U(3 * ws + b + j)]
                else:  # an odd last row
                    for j in range(ow):
                        dst[y, j] = wbuf[_U(b + j)] + wbuf[_U(ws + b + j)] + wbuf[_U(2 * ws + b + j)]


@njit_cached(error_model="numpy")
def _wino_ct(ct: Any, z: Any, n0: int, th: int, tw: int) -> None:  # pragma: no cover - compiled
    """Winograd F(2x2, 3x3) output-transform transpose: z[:, o, (n, ti, tj)] =
    A Y A^T of the 2x2 block (2 ti, 2 tj) of ct[n0 + n, o] (0 past its edges);
    ``z`` is (16, O, nb * th * tw)."""
    nb = z.shape[2] // (th * tw)
    no = z.shape[1]
    oh, ow = ct.shape[2], ct.shape[3]
    zero = z.dtype.type(0)
    for n in range(nb):
        for o in range(no):
            src = ct[n0 + n, o]
            for ti in range(th):
                q = n * th * tw + ti * tw
                i = 2 * ti
                for tj in range(tw):
                    j = 2 * tj
                    y00 = src[i, j]
                    y01 = src[i, j + 1] if j + 1 < ow else zero
                    y10 = src[i + 1, j] if i + 1 < oh else zero
                    y11 = src[i + 1, j + 1] if i + 1 < oh and j + 1 < ow else zero
                    p = q + tj
                    # rows of A Y: (y0, y0 + y1, y0 - y1, -y1), then the same on columns
                    a0, a1 = y00, y01
                    b0, b1 = y00 + y10, y01 + y11
                    c0, c1 = y00 - y10, y01 - y11
                    d0, d1 = -y10, -y11
                    z[0, o, p] = a0
                    z[1, o, p] = a0 + a1
                    z[2, o, p] = a0 - a1
                    z[3, o, p] = -a1
                    z[4, o, p] = b0
                    z[5, o, p] = b0 + b1
                    z[6, o, p] = b0 - b1
                    z[7, o, p] = -b1
                    z[8, o, p] = c0
                    z[9, o, p] = c0 + c1
                    z[10, o, p] = c0 - c1
                    z[11, o, p] = -c1
                    z[12, o, p] = d0
                    z[13, o, p] = d0 + d1
                    z[14, o, p] = d0 - d1
                    z[15, o, p] = -d1


@njit_cached(error_model="numpy")
def _any_exp_ones(bits: Any, mask: Any) -> bool:  # pragma: no cover - compiled
    """Whether an element of the float bits has all exponent bits set (inf or
    nan): an integer or-reduction, which vectorises (a float test does not)."""
    acc = False
    m = mask[0]
    for i in range(bits.shape[0]):
        acc |= (bits[i] & m) == m
    return acc


_EXP_MASKS: dict[int, NDArray] = {4: np.array([0x7F800000], np.uint32), 8: np.array([0x7FF0000000000000], np.uint64)}


def _all_finite(a: NDArray) -> bool:
    """Whether a float array holds no inf or nan (any layout)."""
    mask = _EXP_MASKS.get(a.itemsize)
    if mask is None:
        return bool(np.isfinite(a).all())
    # a permuted dense array (the swapped operands of the cotangent rules) in memory order:
    # a view, no copy
    dense = a.transpose(sorted(range(a.ndim), key=lambda d: -abs(a.strides[d])))
    flat = np.ascontiguousarray(dense).reshape(-1)
    return not _any_exp_ones(flat.view(mask.dtype), mask)


def tap_table(n_in: int, n_win: int, n_out: int, stride: int, lo: int, lhs_dil: int, rhs_dil: int) -> NDArray:
    """``table[k, o]``: the input index window tap ``k`` of output ``o`` reads, or -1.

    In the dilated, padded input, output ``o`` tap ``k`` sits at ``t = o*stride
    + k*rhs_dil - lo`` (relative to the first input element); it is an input
    element iff ``0 <= t <= (n_in-1)*lhs_dil`` and ``t % lhs_dil == 0``.

    Example:
        >>> tap_table(3, 2, 3, 1, 1, 1, 1).tolist()
        [[-1, 0, 1], [0, 1, 2]]
    """
    t = (np.arange(n_out, dtype=np.int64)[None, :] * stride
         + np.arange(n_win, dtype=np.int64)[:, None] * rhs_dil - lo)
    ok = (t >= 0) & (t <= (n_in - 1) * lhs_dil) & (t % lhs_dil == 0)
    return np.where(ok, t // lhs_dil, -1).astype(np.int64)


def _valid_runs(table: NDArray) -> tuple[NDArray, NDArray]:
    """Per table row, the ``[lo, hi)`` range of its valid (>= 0) entries (contiguous
    without lhs dilation: the only case the kernels use it for)."""
    valid = table >= 0
    lo = np.where(valid.any(axis=1), valid.argmax(axis=1), 0).astype(np.int64)
    return lo, (lo + valid.sum(axis=1)).astype(np.int64)


def _as3d(shape: tuple[int, ...]) -> tuple[int, ...]:
    return shape[:2] + (1,) * (5 - len(shape)) + shape[2:]


def conv(x: NDArray, w: NDArray, strides: tuple[int, ...], padding: tuple[tuple[int, int], ...],
         lhs_dilation: tuple[int, ...], rhs_dilation: tuple[int, ...], feature_group_count: int,
         batch_group_count: int, out_dtype: np.dtype[Any]) -> NDArray:
    """The canonical-layout convolution of validated operands (any strides).

    ``x`` (N, C, *S), ``w`` (O, I, *K) of ``out_dtype`` (the caller converts);
    the params are the primitive's, already checked by its shape rule.
    Returns a fresh C-contiguous (N // batch_group_count, O, *out_spatial).

    Example:
        >>> x = np.ones((2, 4, 3, 3), np.float32)
        >>> conv(x, np.ones((6, 2, 3, 3), np.float32), (1, 1), ((1, 1), (1, 1)), (1, 1), (1, 1),
        ...      2, 1, np.dtype("float32"))[0, 0].tolist()
        [[8.0, 12.0, 8.0], [12.0, 18.0, 12.0], [8.0, 12.0, 8.0]]
    """
    nsp = x.ndim - 2
    n, c = x.shape[:2]
    o = w.shape[0]
    grp = max(feature_group_count, batch_group_count)
    n_out = n // batch_group_count
    out_sp = []
    for d in range(nsp):
        n_in, n_win = x.shape[2 + d], w.shape[2 + d]
        din = 0 if n_in == 0 else (n_in - 1) * lhs_dilation[d] + 1
        dwin = 0 if n_win == 0 else (n_win - 1) * rhs_dilation[d] + 1
        padded = din + padding[d][0] + padding[d][1]
        out_sp.append(max(0, (padded - dwin) // strides[d] + 1))
    out = buffer_pool.empty_shaped((n_out, o) + tuple(out_sp), out_dtype)
    if out.size == 0:
        return out
    rows = w[0].size  # I * prod(K): one group's contraction length
    if rows == 0:
        out.fill(0)
        return out
    if (nsp == 2 and w.shape[2:] == (3, 3) and grp == 1 and c >= WINO_MIN_CHANNELS and out.dtype in _WINO_DTYPES
            and strides == (1, 1) and lhs_dilation == (1, 1) and rhs_dilation == (1, 1)
            and all(q[0] >= 0 and q[1] >= 0 for q in padding)
            and _all_finite(x) and _all_finite(w)):
        return _conv_winograd(x, w, out, padding)
    if (nsp == 2 and tuple(out_sp) == (3, 3) and grp == 1 and n >= WINO_MIN_CHANNELS and out.dtype in _WINO_DTYPES
            and strides == (1, 1) and lhs_dilation == (1, 1) and rhs_dilation == (1, 1)
            and all(q[0] >= 0 and q[1] >= 0 for q in padding)
            and _all_finite(x) and _all_finite(w)):
        # the rhs cotangent of a Winograd-sized convolution (lhs and cotangent batch-swapped)
        return _conv_winograd_rhs_ct(x.transpose(1, 0, 2, 3), w.transpose(1, 0, 2, 3), out, padding)
    if (nsp and out_sp[-1] < w.shape[-1] and grp == 1 and all(d == 1 for d in lhs_dilation)
            and all(d == 1 for d in rhs_dilation) and out.dtype.kind == "f"):
        # a window-sized output (the rhs cotangent's convolution), before any copy of the operands
        pad3 = ((0, 0),) * (3 - nsp) + tuple(padding)
        return _conv_window_out(x, w, out, _as3d((0, 0) + tuple(out_sp))[2:], pad3,
                                (1,) * (3 - nsp) + tuple(strides))
    og = o // grp
    wg = np.ascontiguousarray(w).reshape(grp, og, rows)
    p = 1
    for s in out_sp:
        p *= s
    outg = out.reshape(n_out, grp, og, p)
    if (nsp and all(k == 1 for k in w.shape[2:]) and all(s == 1 for s in strides)
            and all(q == (0, 0) for q in padding) and all(d == 1 for d in lhs_dilation)
            and batch_group_count == 1):
        # a 1x1 convolution is a matmul of the input itself: no patch buffer
        xr = x.reshape(n, grp, c // grp, p)
        np.matmul(wg, xr, out=outg)
        return out
    x3 = np.ascontiguousarray(x).reshape(_as3d(x.shape))
    w3 = _as3d(w.shape)
    sp3 = _as3d((0, 0) + tuple(out_sp))[2:]
    pad3 = ((0, 0),) * (3 - nsp) + tuple(padding)
    st3 = (1,) * (3 - nsp) + tuple(strides)
    ld3 = (1,) * (3 - nsp) + tuple(lhs_dilation)
    rd3 = (1,) * (3 - nsp) + tuple(rhs_dilation)
    tables = [tap_table(x3.shape[2 + d], w3[2 + d], sp3[d], st3[d], pad3[d][0], ld3[d], rd3[d]) for d in range(3)]
    img_step = n_out if batch_group_count > 1 else 0
    ch_step = c // grp if feature_group_count > 1 else 0
    per_image = grp * rows * p * out.itemsize
    nb = max(1, min(n_out, CHUNK_BYTES // max(per_image, 1)))
    # the per-position GEMMs read the weights once per output position, the row buffer
    # is batch x positions x a weight row (and its gather is slower): weigh batch vs features
    if (sp3[2] < w3[4] and rd3[1] == rd3[2] == 1 and out.dtype.kind == "f" and n_out * grp * rows * p
            and 3 * n_out >= og and np.isfinite(x3).all()):
        return _conv_small_out(x3, np.ascontiguousarray(w).reshape(w3), out, sp3, pad3, st3, ld3, rd3,
                               feature_group_count, batch_group_count)
    if sp3[2] < w3[4]:
        # a small output and a large window (the rhs cotangent's convolution): gather rows
        # along the window (the long runs) and make one GEMM over a chunk of images
        nb = max(nb, min(n_out, 8))
        rows_buf = np.empty((grp, nb * p, rows), out_dtype)
        # (G, N*P, O/G): each chunk's rows are one block BLAS can write (an ``out=`` that
        # is not makes np.matmul fall back to its naive loop: measured 10x slower)
        outt = np.empty((grp, n_out * p, og), out_dtype)
        wt = wg.transpose(0, 2, 1)
        twt = np.ascontiguousarray(tables[2].T)
        k_lo, k_hi = _valid_runs(twt)
        k_step = rd3[2] if ld3[2] == 1 else 0
        for n0 in range(0, n_out, nb):
            m = min(nb, n_out - n0)
            buf = rows_buf[:, :m * p]
            _im2row(x3, buf, n0, img_step, ch_step, tables[0], tables[1], twt, k_lo, k_hi, k_step)
            np.matmul(buf, wt, out=outt[:, n0 * p:(n0 + m) * p])
        res = outt.reshape(grp, n_out, p, og).transpose(1, 0, 3, 2)
        return res.reshape((n_out, o) + tuple(out_sp))
    if all(st == 1 for st in st3):
        return _conv_shifted(x3, wg, out, out_sp, nsp, pad3, ld3, rd3, w3, sp3, grp, og, rows,
                             img_step, ch_step, nb)
    cols = np.empty((nb, grp, rows, p), out_dtype)
    if all(d == 1 for d in ld3):
        # no lhs dilation: every tap's valid outputs are a range (strided block copies)
        runs = np.zeros((3, max(w3[2:]), 5), np.int64)
        for d in range(3):
            lo_d, hi_d = _valid_runs(tables[d])
            for t in range(w3[2 + d]):
                runs[d, t, :3] = lo_d[t], hi_d[t], tables[d][t, lo_d[t]] if hi_d[t] > lo_d[t] else 0
            runs[d, 0, 3], runs[d, 0, 4] = sp3[d], w3[2 + d]
        steps = np.asarray(st3, np.int64)
        for n0 in range(0, n_out, nb):
            m = min(nb, n_out - n0)
            buf = cols[:m]
            _im2col_blocks(x3, buf, n0, img_step, ch_step, runs, steps)
            np.matmul(wg, buf, out=outg[n0:n0 + m])
        return out
    tw = tables[2]
    w_step = st3[2] if ld3[2] == 1 else 0
    w_lo, w_hi = _valid_runs(tw)
    for n0 in range(0, n_out, nb):
        m = min(nb, n_out - n0)
        buf = cols[:m]
        _im2col(x3, buf, n0, img_step, ch_step, tables[0], tables[1], tw, w_lo, w_hi, w_step)
        np.matmul(wg, buf, out=outg[n0:n0 + m])
    return out


def _dilate_pad(x3: NDArray, pad3: Any, ld3: Any) -> tuple[NDArray, list[int]]:
    """The lhs (N, C, D, H, W) dilated by ``ld3`` and padded by ``pad3`` (negative
    pads crop), flat, with one plane of zero slack at the end (the whole-row
    views of the last rows run past their row), and the padded sizes."""
    n, c = x3.shape[:2]
    dil = [0 if x3.shape[2 + d] == 0 else (x3.shape[2 + d] - 1) * ld3[d] + 1 for d in range(3)]
    padded = [dil[d] + pad3[d][0] + pad3[d][1] for d in range(3)]
    dp, hp, wp = padded
    xp_full = buffer_pool.empty_shaped((n * c * dp * hp * wp + hp * wp + wp,), x3.dtype)
    xp_full.fill(0)
    xp = xp_full[:n * c * dp * hp * wp].reshape(n, c, dp, hp, wp)
    src = x3
    dst_idx = []
    for d in range(3):
        lo, hi = pad3[d]
        # crop what negative padding removes, place the rest at stride lhs_dilation
        first = max(0, -lo + ld3[d] - 1) // ld3[d] if lo < 0 else 0
        last = x3.shape[2 + d] - 1
        while last >= first and last * ld3[d] + lo > padded[d] - 1:
            last -= 1
        src = src[(slice(None),) * (2 + d) + (slice(first, last + 1),)]
        start = first * ld3[d] + lo
        dst_idx.append(slice(start, start + (last - first) * ld3[d] + 1, ld3[d]) if last >= first else slice(0, 0))
    if src.size:
        xp[(slice(None), slice(None)) + tuple(dst_idx)] = src
    return xp_full, padded


def _conv_small_out(x3: NDArray, w5: NDArray, out: NDArray, sp3: tuple[int, ...], pad3: Any, st3: Any, ld3: Any,
                    rd3: Any, feature_group_count: int, batch_group_count: int) -> NDArray:
    """A small output and a large window (the rhs cotangent's convolution, whose
    window is the output cotangent), window rows undilated: one batched GEMM
    per output position, contracting whole padded rows (``KH * Wp`` elements,
    read in place as strided views) with the weights zero-padded to width ``Wp``.
    No patch buffer; the caller checks the lhs is finite (the junk columns
    meet zero weights, and inf * 0 would be nan)."""
    n, c = x3.shape[:2]
    xp_full, (dp, hp, wp) = _dilate_pad(x3, pad3, ld3)
    plane = dp * hp * wp
    o, i, kd, kh, kw = w5.shape
    grp = max(feature_group_count, batch_group_count)
    og, n_out = o // grp, out.shape[0]
    bsz = n_out if batch_group_count > 1 else n
    span = kh * wp
    wpad = np.zeros((o, i, kd, kh, wp), out.dtype)
    wpad[..., :kw] = w5
    wmat = wpad.reshape(grp, og, i, kd, span).transpose(0, 2, 3, 1, 4)  # (G, I, KD, Og, L): a view
    isz = xp_full.itemsize
    res = np.empty((n_out, grp, og) + tuple(sp3), out.dtype)
    for g in range(grp):
        img0 = g * n_out if batch_group_count > 1 else 0
        ch0 = g * i if feature_group_count > 1 else 0
        for y in np.ndindex(*sp3):
            acc = np.zeros((og, bsz), out.dtype)
            for t in range(kd):
                off = ((img0 * c + ch0) * plane + (y[0] * st3[0] + t * rd3[0]) * hp * wp
                       + y[1] * st3[1] * wp + y[2] * st3[2])
                view = np.lib.stride_tricks.as_strided(
                    xp_full[off:], shape=(i, span, bsz), strides=(plane * isz, isz, c * plane * isz), writeable=False)
                part = np.matmul(wmat[g, :, t], view).sum(axis=0)  # (Og, B)
                acc += part
            res[(slice(None), g, slice(None)) + y] = acc.T
    return res.reshape(out.shape)


def _conv_shifted(x3: NDArray, wg: NDArray, out: NDArray, out_sp: list[int], nsp: int, pad3: Any, ld3: Any,
                  rd3: Any, w3: tuple[int, ...], sp3: tuple[int, ...], grp: int, og: int, rows: int,
                  img_step: int, ch_step: int, nb: int) -> NDArray:
    """Stride-1 convolution by whole-row patches: the lhs is dilated and padded
    once, and each output row is computed over the full padded width ``Wp``
    (the extra ``Wp - OW`` columns are junk, dropped by a strided view), so
    that a patch row is ``OD`` contiguous runs of ``OH * Wp`` elements: a
    memcpy instead of a gather (measured 3-4x faster than the tables on
    14x14 images), for ``Wp / OW`` more GEMM work."""
    n, c = x3.shape[:2]
    xp_full, (dp, hp, wp) = _dilate_pad(x3, pad3, ld3)
    od_n, oh_n = sp3[0], sp3[1]
    run = oh_n * wp
    off_d = (np.arange(w3[2], dtype=np.int64) * rd3[0])
    kh, kw = np.meshgrid(np.arange(w3[3], dtype=np.int64), np.arange(w3[4], dtype=np.int64), indexing="ij")
    off_hw = (kh * rd3[1] * wp + kw * rd3[2]).reshape(-1)
    pp = od_n * run
    n_out = out.shape[0]
    out5 = out.reshape((n_out, grp * og, od_n, oh_n, sp3[2]))
    if og <= DIRECT_MAX_FEATURES and out.dtype.kind == "f":
        wide = buffer_pool.empty_shaped((n_out, grp, og, pp), out.dtype)
        wide.fill(0)
        _shifted_direct(xp_full, wg, wide, img_step, ch_step, c, dp * hp * wp, hp * wp, od_n, run, off_d, off_hw)
        _drop_junk(wide.reshape((n_out, grp * og, od_n, oh_n, wp)), out5)
        return out
    wide = buffer_pool.empty_shaped((n_out, grp, og, pp), out.dtype)
    cols = np.empty((nb, grp, rows, pp), out.dtype)
    for n0 in range(0, n_out, nb):
        m = min(nb, n_out - n0)
        buf = cols[:m]
        _shifted_cols(xp_full, buf, n0, img_step, ch_step, c, dp * hp * wp, hp * wp, od_n, run, off_d, off_hw)
        np.matmul(wg, buf, out=wide[n0:n0 + m])
    # one call: a kernel call per chunk costs more in dispatch than the cache saves
    _drop_junk(wide.reshape((n_out, grp * og, od_n, oh_n, wp)), out5)
    return out


#: most contraction length (images x padded positions) and patch bytes of one GEMM of
#: ``_conv_window_out`` (measured: longer ones run at half speed with a few rows, larger
#: ones leave the cache; smaller ones waste calls)
WINDOW_CHUNK_K = 4096
WINDOW_CHUNK_BYTES = 1 << 20


def _conv_window_out(x: NDArray, w: NDArray, out: NDArray, sp3: tuple[int, ...], pad3: Any,
                     st3: Any) -> NDArray:
    """A window-sized output (the rhs cotangent's convolution: ``x`` is the
    forward lhs and ``w`` the output cotangent, each with batch and features
    swapped), no groups, no dilation but the window's (``st3`` here, the
    forward's rhs dilation): PyTorch's weight gradient.  Per chunk of images
    one patch buffer ``cols[(c, k), (n, p)]`` of whole padded rows (a memcpy
    per tap, as in ``_conv_shifted``) and one GEMM with the cotangent chunk
    ``(O, (n, p))`` (zero in the junk columns), accumulated: one long
    contraction over batch and positions.  The swapped operands are read in
    place (no copy but the padded lhs and the chunk of cotangent)."""
    xf = x.transpose((1, 0) + tuple(range(2, x.ndim)))  # (N, C, S...): the forward lhs
    ctf = w.transpose((1, 0) + tuple(range(2, w.ndim)))  # (N, O, P...): the output cotangent
    n, c = xf.shape[:2]
    o = ctf.shape[1]
    x3 = np.ascontiguousarray(xf).reshape(_as3d(xf.shape))
    pd_n, ph_n, pw_n = _as3d(ctf.shape)[2:]
    ct4 = ctf.reshape(n, o, pd_n * ph_n, pw_n)
    xp_full, (dp, hp, wp) = _dilate_pad(x3, pad3, (1, 1, 1))
    kd, kh, kw = np.meshgrid(*(np.arange(k, dtype=np.int64) * st for k, st in zip(sp3, st3)), indexing="ij")
    off = (kd * hp * wp + kh * wp + kw).reshape(-1)
    k_n = off.shape[0]
    rows = c * k_n
    p = pd_n * ph_n * wp
    nb = max(1, min(n, WINDOW_CHUNK_K // p, WINDOW_CHUNK_BYTES // (rows * p * out.itemsize)))
    cols = np.empty((rows, nb, p), out.dtype)
    ctc = np.zeros((o, nb, pd_n * ph_n, wp), out.dtype)
    acc = np.zeros((rows, o), out.dtype)
    part = np.empty((rows, o), out.dtype)
    for n0 in range(0, n, nb):
        m = min(nb, n - n0)
        buf = cols if m == nb else np.empty((rows, m, p), out.dtype)
        _window_cols(xp_full, buf, n0, c, dp * hp * wp, hp * wp, wp, pd_n, ph_n, pw_n, off)
        cc = ctc if m == nb else np.zeros((o, m, pd_n * ph_n, wp), out.dtype)
        np.copyto(cc[..., :pw_n], ct4[n0:n0 + m].transpose(1, 0, 2, 3))
        np.matmul(buf.reshape(rows, m * p), cc.reshape(o, m * p).T, out=part)
        acc += part
    np.copyto(out.reshape(c, o, k_n), acc.reshape(c, k_n, o).transpose(0, 2, 1))
    return out


#: transformed bytes of one chunk of ``_conv_winograd`` (measured on 64x32x14x14: 10 images 6 % faster
#: than 7, 9 % than 5, 17 % than 20)
WINO_CHUNK_BYTES = 1 << 20
#: transformed bytes of one chunk of ``_conv_winograd_rhs_ct`` (its GEMMs contract over the
#: chunk's tiles: measured 8 images of a 32x14x14 layer 1.3x faster than 2)
WINO_CT_CHUNK_BYTES = 1 << 20
#: fewest input channels for ``_conv_winograd`` (its GEMMs contract over the channels only)
WINO_MIN_CHANNELS = 8
_WINO_DTYPES = (np.dtype("float32"), np.dtype("float64"))
_WINO_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
#: G (x) G: vec(G w G^T) = _WINO_GG vec(w), all filters' transforms in one GEMM (numpy's batched
#: G @ w @ G.T over 3x3 matrices took 80 us on 32x32 filters, this 9)
_WINO_GG = np.kron(_WINO_G, _WINO_G)


def _conv_winograd(x: NDArray, w: NDArray, out: NDArray, padding: Any) -> NDArray:
    """A 3x3, stride-1, undilated, ungrouped 2-D convolution of finite operands by
    Winograd's F(2x2, 3x3) (Lavin & Gray 2016): per 2x2 output tile 16 products
    instead of 36, as 16 GEMMs (O, C) x (C, tiles) over the transformed weights
    and input tiles (measured 1.4x faster than the patch GEMM on 64x32x14x14
    before the transforms were vectorised, 2.1x after; float32 error below the
    direct sum's here).  The padding is done by the input transform (no padded
    copy of the lhs).  ``padding`` is non-negative.  (F(4x4, 3x3) would cut the
    GEMMs by a quarter here, but its float32 error measured 18x this one's.)"""
    n, c, h, wd = x.shape
    o = w.shape[0]
    oh, ow = out.shape[2], out.shape[3]
    th, tw = (oh + 1) // 2, (ow + 1) // 2
    xf = _c_flat(x)
    u = np.matmul(_WINO_GG, w.reshape(o * c, 9).T, dtype=np.float64).astype(out.dtype).reshape(16, o, c)
    t = th * tw
    nb = max(1, min(n, WINO_CHUNK_BYTES // (16 * max(c, o) * t * out.itemsize)))
    v = np.empty((16, c, nb * t), out.dtype)
    m = np.empty((16, o, nb * t), out.dtype)
    pbuf, vbuf, side, sv = _wino_in_scratch(nb, th, tw, out.dtype)
    wbuf = np.empty(8 * nb * t, out.dtype)
    for n0 in range(0, n, nb):
        k = min(nb, n - n0)
        vv = v if k == nb else np.empty((16, c, k * t), out.dtype)
        mm = m if k == nb else np.empty((16, o, k * t), out.dtype)
        _wino_in(xf, vv, pbuf, vbuf, side, sv, n0, c, h, wd, th, tw, padding[0][0], padding[1][0])
        np.matmul(u, vv, out=mm)
        _wino_out(mm, out, wbuf, n0, th, tw)
    return out


def _c_flat(x: NDArray) -> NDArray:
    """``x`` flat in C order: itself when C-contiguous, else a copy into a pooled
    buffer (a strided view: a cotangent's swapped operands)."""
    if x.flags.c_contiguous:
        return x.reshape(-1)
    xc = buffer_pool.empty_shaped(x.shape, x.dtype)
    np.copyto(xc, x)
    return xc.reshape(-1)


def _wino_in_scratch(nb: int, th: int, tw: int, dtype: np.dtype[Any]) -> tuple[NDArray, ...]:
    """``_wino_in``'s scratch for chunks of up to ``nb`` images: the parity-split
    padded rows and the side columns (zero where no input lands: the kernel writes
    the same positions for every channel), and the column-transformed rows (with
    two elements of slack: the last tile reads past its row)."""
    pbuf = np.zeros(2 * nb * (th + 1) * 2 * tw, dtype)
    vbuf = np.empty(4 * (nb * th * 2 * tw + 2), dtype)
    side = np.zeros(2 * nb * (th + 1) * 2, dtype)
    sv = np.empty(4 * nb * th * 2, dtype)
    return pbuf, vbuf, side, sv


def _conv_winograd_rhs_ct(x: NDArray, ct: NDArray, out: NDArray, padding: Any) -> NDArray:
    """The 3x3 weight gradient of ``_conv_winograd``'s convolution (``x`` the
    forward lhs, ``ct`` the output cotangent, both (N, ., H, W); ``out`` (C, O, 3,
    3)): its transpose, dU[xi] = sum over tiles of (A Y A^T)[xi] (B^T d B)[xi],
    16 GEMMs (O, tiles) x (tiles, C), then dW = G^T dU G."""
    n, c = x.shape[:2]
    o, oh, ow = ct.shape[1], ct.shape[2], ct.shape[3]
    th, tw = (oh + 1) // 2, (ow + 1) // 2
    xf = _c_flat(x)
    t = th * tw
    nb = max(1, min(n, WINO_CT_CHUNK_BYTES // (16 * max(c, o) * t * out.itemsize)))
    v = np.empty((16, c, nb * t), out.dtype)
    z = np.empty((16, o, nb * t), out.dtype)
    pbuf, vbuf, side, sv = _wino_in_scratch(nb, th, tw, out.dtype)
    du = np.zeros((16, o, c), out.dtype)
    part = np.empty((16, o, c), out.dtype)
    for n0 in range(0, n, nb):
        k = min(nb, n - n0)
        vv = v if k == nb else np.empty((16, c, k * t), out.dtype)
        zz = z if k == nb else np.empty((16, o, k * t), out.dtype)
        _wino_in(xf, vv, pbuf, vbuf, side, sv, n0, c, x.shape[2], x.shape[3], th, tw, padding[0][0], padding[1][0])
        _wino_ct(ct, zz, n0, th, tw)
        np.matmul(zz, vv.transpose(0, 2, 1), out=part)
        du += part
    dw = np.matmul(_WINO_GG.T, du.reshape(16, o * c), dtype=np.float64)  # ((3, 3), (O, C))
    np.copyto(out, dw.reshape(3, 3, o, c).transpose(3, 2, 0, 1))
    return out
