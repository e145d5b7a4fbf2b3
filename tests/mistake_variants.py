"""Every catalogued mistake (dsconv_lib.mistakes), written into a notebook as a student would write it.

VARIANTS[assignment][(function, mistake key)] = Variant(replace, lost, shown_in, edits): `replace` is {answer
cell id: new source} and `edits` ((cell id, ((old, new), ...)), ...) edits of the solution's cells, for the
released notebook with the solution filled in; `lost` the test cells that must fail (the part of the function,
and the parts built on it if any); `shown_in` the test cell whose message must end with the mistake's hint.
Mistakes in different parts share a notebook where their cells allow (`packed`, `sources`). tests/dsconv_lib/test_mistakes.py runs them in this process (the student's view) and
tests/grader/test_mistakes_graded.py grades them. Not a test module: asserts carry messages.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from grading_support import solution_sources


@dataclass(frozen=True)
class Variant:
    replace: dict[str, str]
    lost: frozenset[str]
    shown_in: str
    edits: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    support: tuple[tuple[str, str], ...] = ()  # (cell, source): correct, self-contained, only to cut a dependency
    self_contained: bool = True  # its replaced cells call none of the notebook's other answers
    also_graded: frozenset[str] = frozenset()  # parts that only the hidden tests catch: lost too when graded

    @property
    def graded_lost(self) -> frozenset[str]:
        return self.lost | self.also_graded


def edited(assignment: str, cell: str, *pairs: tuple[str, str], base: str = "") -> str:
    """The solution's answer cell `cell` (or `base`) with each (old, new) of `pairs` replaced once."""
    text = base or solution_sources(assignment)[cell]
    for old, new in pairs:
        assert text.count(old) == 1, f"{assignment}/{cell}: {old!r} found {text.count(old)} times"
        text = text.replace(old, new)
    return text


def variant(replace: dict[str, str], *lost: str, shown_in: str = "") -> Variant:
    return Variant(replace, frozenset(lost), shown_in or lost[0])


def in_cell(assignment: str, cell: str, *lost: str, shown_in: str = "", support: dict[str, str] = None):
    """A maker of variants that edit one answer cell: in_cell(...)(("old", "new"), ...); `support`: other cells
    replaced by correct versions of their own, so that the mistake stays in its part."""
    def make(*pairs: tuple[str, str]) -> Variant:
        edited(assignment, cell, *pairs)  # each old string is there, once
        return Variant({}, frozenset(lost), shown_in or lost[0], ((cell, tuple(pairs)),), tuple((support or {}).items()))
    return make


# ----------------------------------------------------------------------------- ex01

# conv2d vectorised with sliding windows, on its own (it calls neither output_size nor conv2d_single_channel).
EX01_SLIDING_CONV2D = (
    "from numpy.lib.stride_tricks import sliding_window_view\n\n\n"
    "def conv2d(x, weight, bias=None, stride=1, padding=0):\n"
    "    x = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (padding, padding), (padding, padding)))\n"
    "    k_h, k_w = weight.shape[2:]\n"
    "    windows = sliding_window_view(x, (k_h, k_w), axis=(2, 3))[:, :, ::stride, ::stride]\n"
    "    y = np.einsum('nchwij,ocij->nohw', windows, weight)\n"
    "    if bias is not None:\n"
    "        y = y + np.asarray(bias)[None, :, None, None]\n"
    "    return y\n")


# conv2d with loops, on its own too.
EX01_LOOPS_CONV2D = (
    "def conv2d(x, weight, bias=None, stride=1, padding=0):\n"
    "    x = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (padding, padding), (padding, padding)))\n"
    "    n, c_in, h, w = x.shape\n"
    "    c_out, _, k_h, k_w = weight.shape\n"
    "    h_out, w_out = (h - k_h) // stride + 1, (w - k_w) // stride + 1\n"
    "    y = np.zeros((n, c_out, h_out, w_out))\n"
    "    for b in range(n):\n"
    "        for o in range(c_out):\n"
    "            for c in range(c_in):\n"
    "                for i in range(h_out):\n"
    "                    for j in range(w_out):\n"
    "                        window = x[b, c, i * stride:i * stride + k_h, j * stride:j * stride + k_w]\n"
    "                        y[b, o, i, j] += np.sum(window * weight[o, c])\n"
    "            if bias is not None:\n"
    "                y[b, o] += bias[o]\n"
    "    return y\n")


def _ex01_single_on_its_own() -> str:
    """The solution's conv2d_single_channel with its own output-size helper (it does not call output_size)."""
    helper = "def _out(size, k, stride=1, padding=0):\n    return (size + 2 * padding - k) // stride + 1\n\n\n"
    return helper + solution_sources("ex01")["conv2d_single_channel"].replace("output_size(", "_out(")


def _ex01() -> dict:
    single_alone = _ex01_single_on_its_own()
    size = in_cell("ex01", "output_size", "test_output_size",
                   support={"conv2d_single_channel": single_alone, "conv2d": EX01_SLIDING_CONV2D})
    params = in_cell("ex01", "conv_cost", "test_conv_params")
    macs = in_cell("ex01", "conv_cost", "test_conv_macs")

    def single(*pairs):
        return Variant({"conv2d_single_channel": edited("ex01", "conv2d_single_channel", *pairs, base=single_alone)},
                       frozenset({"test_conv2d_single_channel"}), "test_conv2d_single_channel",
                       support=(("conv2d", EX01_SLIDING_CONV2D),))

    def conv(base):
        return lambda *pairs: variant({"conv2d": edited("ex01", "conv2d", *pairs, base=base)}, "test_conv2d")

    loops, sliding = conv(EX01_LOOPS_CONV2D), conv(EX01_SLIDING_CONV2D)
    window, bias = "np.sum(window * w)", "            if bias is not None:\n                y[b, o] += bias[o]\n"
    return {
        ("output_size", "no +1"): size(("// stride + 1", "// stride")),
        ("output_size", "true division"): size(("// stride + 1", "/ stride + 1")),
        ("output_size", "dilation ignored"): size(("dilation * (kernel - 1) + 1", "kernel")),
        ("output_size", "padding on one side"): size(("size + 2 * padding", "size + padding")),
        ("output_size", "stride ignored"): size(("// stride + 1", "+ 1")),
        ("conv2d_single_channel", "flipped kernel"): single((window, "np.sum(window * w[::-1, ::-1])")),
        ("conv2d_single_channel", "padding before only"): single(
            ("dtype=np.float64), padding)", "dtype=np.float64), ((padding, 0), (padding, 0)))")),
        ("conv2d_single_channel", "padding after only"): single(
            ("dtype=np.float64), padding)", "dtype=np.float64), ((0, padding), (0, padding)))")),
        ("conv2d_single_channel", "stride ignored"): single(
            ("k_h, stride)", "k_h)"), ("k_w, stride)", "k_w)"),
            ("i * stride:i * stride + k_h", "i:i + k_h"), ("j * stride:j * stride + k_w", "j:j + k_w")),
        ("conv2d_single_channel", "windows not strided"): single(
            ("i * stride:i * stride + k_h", "i:i + k_h"), ("j * stride:j * stride + k_w", "j:j + k_w")),
        ("conv2d_single_channel", "kernel transposed"): single((window, "np.sum(window * w.T)")),
        ("conv2d", "bias forgotten"): loops((bias, "")),
        ("conv2d", "bias per input channel"): loops(
            (bias, ""), ("weight[o, c])\n", "weight[o, c])\n                if bias is not None:\n"
                                            "                    y[b, o] += bias[o]\n")),
        ("conv2d", "weight as (C_in, C_out)"): loops(("weight[o, c]", "weight[c, o]")),
        ("conv2d", "flipped kernel"): loops(("weight[o, c]", "weight[o, c, ::-1, ::-1]")),
        ("conv2d", "padding before only"): sliding(("(padding, padding), (padding, padding)",
                                                    "(padding, 0), (padding, 0)")),
        ("conv2d", "stride ignored"): sliding(("[:, :, ::stride, ::stride]", "")),
        ("conv_params", "bias forgotten"): params((" + (c_out if bias else 0)", "")),
        ("conv_params", "bias always"): params(("(c_out if bias else 0)", "c_out")),
        ("conv_params", "k not squared"): params(("c_out * c_in * k * k", "c_out * c_in * k")),
        ("conv_macs", "FLOPs"): macs(("return (c_out * h_out * w_out) * (c_in * k * k)",
                                      "return 2 * (c_out * h_out * w_out) * (c_in * k * k)")),
        ("conv_macs", "k not squared"): macs(("(c_in * k * k)", "(c_in * k)")),
        ("conv_macs", "C_in left out"): macs(("(c_in * k * k)", "(k * k)")),
    }


# ----------------------------------------------------------------------------- ex04


def _ex04() -> dict:
    both = in_cell("ex04", "depthwise_conv2d", "test_depthwise_conv2d", "test_depthwise_multiplier")
    multiplier = in_cell("ex04", "depthwise_conv2d", "test_depthwise_multiplier")
    params = in_cell("ex04", "grouped_cost", "test_grouped_params")
    macs = in_cell("ex04", "grouped_cost", "test_grouped_macs")
    seen = in_cell("ex04", "connectivity", "test_connectivity")
    weights, per_pixel = "c_out * (c_in // groups) * k * k", "(c_out * h_out * w_out) * (c_in // groups)"
    return {
        ("depthwise_conv2d", "channel order"): multiplier(("np.repeat(x, m, axis=1)", "np.tile(x, (1, m, 1, 1))")),
        ("depthwise_conv2d", "multiplier ignored"): multiplier(
            ("c_out, _, k_h, k_w = weight.shape\n    m = c_out // c", "_, _, k_h, k_w = weight.shape\n    c_out, m = c, 1"),
            ("weight[None, :, 0, p, q", "weight[None, :c, 0, p, q")),
        ("depthwise_conv2d", "mixes channels"): both(("* window\n", "* window.sum(axis=1, keepdims=True)\n")),
        ("depthwise_conv2d", "flipped kernel"): both(("weight[None, :, 0, p, q, None, None]",
                                                      "weight[None, :, 0, k_h - 1 - p, k_w - 1 - q, None, None]")),
        ("depthwise_conv2d", "padding before only"): both(
            ("(padding, padding), (padding, padding)", "(padding, 0), (padding, 0)"),
            ("h + 2 * padding", "h + padding"), ("w + 2 * padding", "w + padding")),
        ("depthwise_conv2d", "windows not strided"): both(("p:p + stride * (h_out - 1) + 1:stride", "p:p + h_out"),
                                                          ("q:q + stride * (w_out - 1) + 1:stride", "q:q + w_out")),
        ("grouped_params", "groups ignored"): params((weights, "c_out * c_in * k * k")),
        ("grouped_params", "one group only"): params((weights, "(c_out // groups) * (c_in // groups) * k * k")),
        ("grouped_params", "k not squared"): params((weights, "c_out * (c_in // groups) * k")),
        ("grouped_macs", "groups ignored"): macs((per_pixel, "(c_out * h_out * w_out) * c_in")),
        ("grouped_macs", "one group only"): macs((per_pixel, "(c_out // groups * h_out * w_out) * (c_in // groups)")),
        ("grouped_macs", "FLOPs"): macs(("return (c_out * h_out * w_out)", "return 2 * (c_out * h_out * w_out)")),
        ("connectivity", "transposed"): seen(("out_block[:, None] == in_block[None, :]",
                                              "in_block[:, None] == out_block[None, :]")),
        ("connectivity", "interleaved groups"): seen(("np.arange(c_out) // (c_out // groups)", "np.arange(c_out) % groups"),
                                                     ("np.arange(c_in) // (c_in // groups)", "np.arange(c_in) % groups")),
        ("connectivity", "groups ignored"): seen(("return out_block[:, None] == in_block[None, :]",
                                                  "return np.ones((c_out, c_in), dtype=bool)")),
    }


# ----------------------------------------------------------------------------- ex05


def _ex05() -> dict:
    pointwise = in_cell("ex05", "pointwise_conv2d", "test_pointwise_conv2d")
    macs = in_cell("ex05", "pointwise_macs", "test_pointwise_macs")
    compose = in_cell("ex05", "compose_pointwise", "test_compose_pointwise")
    return {
        ("pointwise_conv2d", "weight as (C_in, C_out)"): pointwise(("y = matrix @ x", "y = matrix.T @ x")),
        ("pointwise_conv2d", "bias forgotten"): pointwise(("        y = y + bias[None, :, None, None]\n", "        pass\n")),
        ("pointwise_conv2d", "reshape for transpose"): pointwise(("y = matrix @ x.reshape(n, c_in, h * w)",
                                                                   "y = x.reshape(n, h * w, c_in) @ matrix.T")),
        ("pointwise_macs", "FLOPs"): macs(("return h * w", "return 2 * h * w")),
        ("pointwise_macs", "C_in left out"): macs(("h * w * c_in * c_out", "h * w * c_out")),
        ("compose_pointwise", "order swapped"): compose(("(m2 @ m1)", "(m1 @ m2)")),
        ("compose_pointwise", "transposed"): compose(("(m2 @ m1)[", "(m2 @ m1).T[")),
    }


# ----------------------------------------------------------------------------- ex06


def _ex06() -> dict:
    dw = in_cell("ex06", "depthwise_conv2d", "test_depthwise_conv2d", "test_separable_conv2d")
    pw = in_cell("ex06", "pointwise_conv2d", "test_pointwise_conv2d", "test_separable_conv2d")
    block = in_cell("ex06", "separable_conv2d", "test_separable_conv2d")
    kernel = in_cell("ex06", "equivalent_kernel", "test_equivalent_kernel")
    macs = in_cell("ex06", "separable_cost", "test_separable_macs")
    ratio = in_cell("ex06", "separable_cost", "test_ratio_closed_form")
    rank_one = in_cell("ex06", "approximation", "test_best_rank_one")
    error = in_cell("ex06", "approximation", "test_separable_approximation_error")
    one_svd = ("    for c in range(c_in):\n        s = np.linalg.svd(weight[:, c].reshape(c_out, -1), compute_uv=False)\n"
               "        lost += np.sum(s[1:] ** 2)\n",
               "    s = np.linalg.svd(weight.reshape(c_out, -1), compute_uv=False)\n    lost += np.sum(s[1:] ** 2)\n")
    relative = "return float(np.sqrt(lost) / np.linalg.norm(weight))"
    return {
        ("depthwise_conv2d", "mixes channels"): dw(("* window\n", "* window.sum(axis=1, keepdims=True)\n")),
        ("depthwise_conv2d", "flipped kernel"): dw(("weight[:, 0, p, q]", "weight[:, 0, k_h - 1 - p, k_w - 1 - q]")),
        ("depthwise_conv2d", "padding before only"): dw(("(padding, padding), (padding, padding)",
                                                         "(padding, 0), (padding, 0)")),
        ("depthwise_conv2d", "windows not strided"): dw(("p:p + stride * (h_out - 1) + 1:stride", "p:p + h_out"),
                                                        ("q:q + stride * (w_out - 1) + 1:stride", "q:q + w_out")),
        ("pointwise_conv2d", "weight as (C_in, C_out)"): pw(('"oc,nchw->nohw"', '"co,nchw->nohw"')),
        ("pointwise_conv2d", "reshape for transpose"): pw(
            ('return np.einsum("oc,nchw->nohw", weight[:, :, 0, 0], z)',
             "n, c, h, w = z.shape\n    return (z.reshape(n, h * w, c) @ weight[:, :, 0, 0].T).reshape(n, -1, h, w)")),
        ("separable_conv2d", "order swapped"): block(("return pointwise_conv2d(depthwise_conv2d(x, w_dw, stride, padding), w_pw)",
                                                      "return depthwise_conv2d(pointwise_conv2d(x, w_pw), w_dw, stride, padding)")),
        ("separable_conv2d", "stride and padding dropped"): block(("depthwise_conv2d(x, w_dw, stride, padding)",
                                                                   "depthwise_conv2d(x, w_dw)")),
        ("equivalent_kernel", "P transposed"): kernel(("w_pw[:, :, 0, 0][:, :, None, None]", "w_pw[:, :, 0, 0].T[:, :, None, None]")),
        ("equivalent_kernel", "filter of the output"): kernel(("w_dw[None, :, 0]", "w_dw[:, None, 0]")),
        ("separable_macs", "k^2 in pointwise"): macs(("* w_out * c_in\n", "* w_out * c_in * k * k\n")),
        ("separable_macs", "depthwise over C_out"): macs(("depthwise = c_in * h_out", "depthwise = c_out * h_out")),
        ("separable_macs", "FLOPs"): macs(("return depthwise + pointwise", "return 2 * (depthwise + pointwise)")),
        ("ratio_closed_form", "1/k^2 alone"): ratio(("return 1 / c_out + 1 / k**2", "return 1 / k**2")),
        ("ratio_closed_form", "1/C_out alone"): ratio(("return 1 / c_out + 1 / k**2", "return 1 / c_out")),
        ("ratio_closed_form", "k not squared"): ratio(("return 1 / c_out + 1 / k**2", "return 1 / c_out + 1 / k")),
        ("ratio_closed_form", "inverted"): ratio(("return 1 / c_out + 1 / k**2", "return 1 / (1 / c_out + 1 / k**2)")),
        ("best_rank_one", "sigma forgotten"): rank_one(("return s[0] * np.outer(u[:, 0], vt[0])",
                                                        "return np.outer(u[:, 0], vt[0])")),
        ("best_rank_one", "vt column"): rank_one(("np.outer(u[:, 0], vt[0])", "np.outer(u[:, 0], vt[:, 0])")),
        ("separable_approximation_error", "not relative"): error((relative, "return float(np.sqrt(lost))")),
        ("separable_approximation_error", "squared"): error((relative, "return float(lost / np.linalg.norm(weight) ** 2)")),
        ("separable_approximation_error", "whole kernel"): error(one_svd),
    }


# ----------------------------------------------------------------------------- ex08


def _ex08() -> dict:
    se = in_cell("ex08", "squeeze_excite", "test_squeeze_excite")
    params = in_cell("ex08", "se_cost", "test_se_params")
    macs = in_cell("ex08", "se_cost", "test_se_macs")
    network = in_cell("ex08", "se_cost", "test_se_network_params")
    at = in_cell("ex08", "placement", "test_se_weights_at")
    share = in_cell("ex08", "placement", "test_se_share")
    width, per_batch = "hidden = max(1, c // r)", "return batch * 2 * c * max(1, c // r)"
    eq5 = "return 2 * sum(n * c * c for n, c in stages) // r"
    placed, shared = 'channels = c_in * depth_multiplier if after == "depthwise" else c_out', "max(1, channels // r) / block"
    return {
        ("squeeze_excite", "sum squeeze"): se(("x.mean(axis=(2, 3))", "x.sum(axis=(2, 3))")),
        ("squeeze_excite", "max squeeze"): se(("x.mean(axis=(2, 3))", "x.max(axis=(2, 3))")),
        ("squeeze_excite", "no ReLU"): se(("np.maximum(z @ w1.T + b1, 0.0)", "z @ w1.T + b1")),
        ("squeeze_excite", "no sigmoid"): se(("1.0 / (1.0 + np.exp(-(hidden @ w2.T + b2)))", "hidden @ w2.T + b2")),
        ("squeeze_excite", "biases forgotten"): se(("z @ w1.T + b1", "z @ w1.T"), ("hidden @ w2.T + b2", "hidden @ w2.T")),
        ("se_params", "C * r"): params((width, "hidden = max(1, c * r)")),
        ("se_params", "no max(1, ...)"): params((width, "hidden = c // r")),
        ("se_params", "round"): params((width, "hidden = max(1, round(c / r))")),
        ("se_params", "one FC layer"): params(("weights = 2 * c * hidden", "weights = c * hidden")),
        ("se_params", "bias always"): params(("(hidden + c if bias else 0)", "(hidden + c)")),
        ("se_params", "bias forgotten"): params(("return weights + (hidden + c if bias else 0)", "return weights")),
        ("se_macs", "no batch"): macs((per_batch, "return 2 * c * max(1, c // r)")),
        ("se_macs", "C * r"): macs((per_batch, "return batch * 2 * c * c * r")),
        ("se_macs", "round"): macs((per_batch, "return batch * 2 * c * max(1, round(c / r))")),
        ("se_macs", "no max(1, ...)"): macs((per_batch, "return batch * 2 * c * (c // r)")),
        ("se_macs", "FLOPs"): macs((per_batch, "return 2 * batch * 2 * c * max(1, c // r)")),
        ("se_network_params", "C * r"): network((eq5, "return 2 * sum(n * c * c * r for n, c in stages)")),
        ("se_network_params", "blocks forgotten"): network((eq5, "return 2 * sum(c * c for n, c in stages) // r")),
        ("se_network_params", "one FC layer"): network((eq5, "return sum(n * c * c for n, c in stages) // r")),
        ("se_network_params", "biases counted"): network(
            (eq5, "return sum(n * (2 * c * (c // r) + c // r + c) for n, c in stages)")),
        ("se_weights_at", "placements swapped"): at(
            (placed, 'channels = c_out if after == "depthwise" else c_in * depth_multiplier')),
        ("se_weights_at", "multiplier ignored"): at(("c_in * depth_multiplier if", "c_in if")),
        ("se_weights_at", "no max(1, ...)"): at(("return 2 * channels * max(1, channels // r)\n",
                                                 "return 2 * channels * (channels // r)\n")),
        ("se_share", "placements swapped"): share(('channels = c_in if after == "depthwise" else c_out',
                                                   'channels = c_out if after == "depthwise" else c_in')),
        ("se_share", "share of the total"): share(
            (shared, "max(1, channels // r) / (block + 2 * channels * max(1, channels // r))")),
        ("se_share", "k^2 in pointwise"): share(("block = c_in * k * k + c_in * c_out",
                                                 "block = c_in * k * k + c_in * c_out * k * k")),
        ("se_share", "standard block"): share(("block = c_in * k * k + c_in * c_out", "block = c_in * c_out * k * k")),
    }


# ----------------------------------------------------------------------------- ex10

# Part C on its own (it calls none of parts A and B), so that a mistake there stays in its part.
EX10_FUSION_ON_ITS_OWN = (
    "def _out(size, k, stride):\n"
    "    return (size + 2 * (k // 2) - k) // stride + 1\n\n\n"
    "def separable_bytes(n, c_in, c_out, k, h, w, stride, fused):\n"
    "    pixels = n * _out(h, k, stride) * _out(w, k, stride)\n"
    "    values = n * c_in * h * w + c_in * k * k + c_in * c_out + pixels * c_out\n"
    "    return 4 * (values if fused else values + 2 * pixels * c_in)\n\n\n"
    "def fusion_speedup(n, c_in, c_out, k, h, w, stride, peak, bandwidth):\n"
    "    pixels = n * _out(h, k, stride) * _out(w, k, stride)\n"
    "    dw_macs, pw_macs = pixels * c_in * k * k, pixels * c_in * c_out\n"
    "    dw_bytes = 4 * (n * c_in * h * w + c_in * k * k + pixels * c_in)\n"
    "    pw_bytes = 4 * (pixels * c_in + c_in * c_out + pixels * c_out)\n"
    "    fused_bytes = separable_bytes(n, c_in, c_out, k, h, w, stride, True)\n"
    "    seconds = [max(2 * m / peak, b / bandwidth) for m, b in ((dw_macs, dw_bytes), (pw_macs, pw_bytes),\n"
    "                                                             (dw_macs + pw_macs, fused_bytes))]\n"
    "    return (seconds[0] + seconds[1]) / seconds[2]\n")


def _ex10() -> dict:
    own = {"fusion": EX10_FUSION_ON_ITS_OWN}

    def layer(test, *pairs):
        return in_cell("ex10", "layer_bytes", test, support=own)(*pairs)

    def roof(test, *pairs):
        return in_cell("ex10", "roofline", test, support=own)(*pairs)

    fusion = in_cell("ex10", "fusion", "test_separable_bytes", "test_fusion_speedup")
    def speedup(*pairs):  # fusion_speedup calls separable_bytes and parts A and B: never merged with their mistakes
        return Variant({"fusion": edited("ex10", "fusion", *pairs)}, frozenset({"test_fusion_speedup"}),
                       "test_fusion_speedup", self_contained=False)

    forward = in_cell("ex10", "fused_forward", "test_fused_forward")
    standard = "inputs, weights, outputs = n * c_in * h * w, c_out * c_in * k * k, n * c_out * h_out * w_out"
    dw_total, pw_total = ("4 * (n * c * h * w + c * k * k + n * c * size_out)",
                          "4 * (n * c_in * h * w + c_in * c_out + n * c_out * h * w)")
    window = "w_dw[:, 0, u, v][None, :, None, None] * padded[:, :, top + u:top + u + rows, v:v + w]"
    tile = "        tile = np.zeros((n, c, rows, w))  # the depthwise output of these rows only\n"
    return {
        ("standard_conv_bytes", "stride ignored"): layer("test_standard_bytes", (standard, standard.replace(
            "h_out * w_out", "h * w"))),
        ("standard_conv_bytes", "weights per image"): layer("test_standard_bytes", (standard, standard.replace(
            ", c_out * c_in", ", n * c_out * c_in"))),
        ("standard_conv_bytes", "batch forgotten"): layer("test_standard_bytes", (standard, standard.replace("n * c", "c"))),
        ("standard_conv_bytes", "elements"): layer("test_standard_bytes", ("return 4 * (inputs + weights + outputs)",
                                                                           "return inputs + weights + outputs")),
        ("depthwise_conv_bytes", "stride ignored"): layer("test_depthwise_bytes", ("n * c * size_out)", "n * c * h * w)")),
        ("depthwise_conv_bytes", "weights per image"): layer("test_depthwise_bytes", ("+ c * k * k +", "+ n * c * k * k +")),
        ("depthwise_conv_bytes", "batch forgotten"): layer("test_depthwise_bytes", (dw_total, dw_total.replace("n * c", "c"))),
        ("depthwise_conv_bytes", "elements"): layer("test_depthwise_bytes", (dw_total, dw_total[5:-1])),
        ("pointwise_conv_bytes", "weights per image"): layer("test_pointwise_bytes", ("+ c_in * c_out +", "+ n * c_in * c_out +")),
        ("pointwise_conv_bytes", "batch forgotten"): layer("test_pointwise_bytes", (pw_total, "4 * (c_in * h * w + c_in * c_out + c_out * h * w)")),
        ("pointwise_conv_bytes", "elements"): layer("test_pointwise_bytes", (pw_total, pw_total[5:-1])),
        ("arithmetic_intensity", "MACs per byte"): roof("test_intensity_ridge", ("return 2 * macs / bytes_moved",
                                                                                 "return macs / bytes_moved")),
        ("arithmetic_intensity", "inverted"): roof("test_intensity_ridge", ("return 2 * macs / bytes_moved",
                                                                            "return bytes_moved / (2 * macs)")),
        ("ridge_point", "inverted"): roof("test_intensity_ridge", ("return peak / bandwidth", "return bandwidth / peak")),
        ("attainable", "max"): roof("test_attainable", ("return min(peak, intensity * bandwidth)",
                                                        "return max(peak, intensity * bandwidth)")),
        ("attainable", "memory roof only"): roof("test_attainable", ("return min(peak, intensity * bandwidth)",
                                                                     "return intensity * bandwidth")),
        ("min_time", "FLOPs not doubled"): roof("test_min_time", ("return max(2 * macs / peak,", "return max(macs / peak,")),
        ("min_time", "sum"): roof("test_min_time", ("return max(2 * macs / peak, bytes_moved / bandwidth)",
                                                    "return 2 * macs / peak + bytes_moved / bandwidth")),
        ("min_time", "min"): roof("test_min_time", ("return max(2 * macs / peak,", "return min(2 * macs / peak,")),
        ("bound", "tie as compute"): roof("test_bound", ("memory_time >= compute_time", "memory_time > compute_time")),
        ("bound", "FLOPs not doubled"): roof("test_bound", ("compute_time = 2 * macs / peak", "compute_time = macs / peak")),
        ("separable_bytes", "saved once"): fusion(("unfused - 2 * 4 * intermediate", "unfused - 4 * intermediate")),
        ("separable_bytes", "nothing saved"): fusion(("return unfused - 2 * 4 * intermediate if fused else unfused",
                                                      "return unfused")),
        ("separable_bytes", "intermediate at input size"): dataclasses.replace(  # fusion_speedup's hidden cases see it
            in_cell("ex10", "fusion", "test_separable_bytes")(("intermediate = n * c_in * h_out * w_out",
                                                               "intermediate = n * c_in * h * w")),
            also_graded=frozenset({"test_fusion_speedup"})),
        ("fusion_speedup", "bytes ratio"): speedup(("return two_kernels / one_kernel",
                                                    "return separable_bytes(n, c_in, c_out, k, h, w, stride, False) / fused_bytes")),
        ("fusion_speedup", "max of the steps"): speedup(("two_kernels = (min_time(", "two_kernels = max(min_time("),
                                                        ("                   + min_time(", "                   , min_time(")),
        ("fusion_speedup", "inverted"): speedup(("return two_kernels / one_kernel", "return one_kernel / two_kernels")),
        ("fused_separable_forward", "last tile dropped"): forward(
            ("for top in range(0, h, tile_rows):\n        rows = min(tile_rows, h - top)",
             "for top in range(0, h - tile_rows + 1, tile_rows):\n        rows = tile_rows")),
        ("fused_separable_forward", "no halo"): forward(
            (tile, tile + "        local = np.pad(np.asarray(x, dtype=np.float64)[:, :, top:top + rows], "
                          "((0, 0), (0, 0), (p, p), (p, p)))\n"),
            ("padded[:, :, top + u:top + u + rows, v:v + w]", "local[:, :, u:u + rows, v:v + w]")),
        ("fused_separable_forward", "mixes channels"): forward((window, window + ".sum(axis=1, keepdims=True)")),
        ("fused_separable_forward", "flipped kernel"): forward(("w_dw[:, 0, u, v]", "w_dw[:, 0, k - 1 - u, k - 1 - v]")),
        ("fused_separable_forward", "pointwise transposed"): forward(('"oc,nchw->nohw"', '"co,nchw->nohw"')),
    }


# ----------------------------------------------------------------------------- ex02

# Part C on its own (it calls neither params nor macs), and the roofline answers as numbers.
EX02_BYTES_ON_ITS_OWN = (
    "def _size(n, k, s, p):\n"
    "    return (n + 2 * p - k) // s + 1\n\n\n"
    "def min_bytes(c_in, c_out, k, h, w, stride=1, padding=0, groups=1, bias=False, bytes_per_element=4):\n"
    "    weights = c_out * (c_in // groups) * k * k + (c_out if bias else 0)\n"
    "    outputs = c_out * _size(h, k, stride, padding) * _size(w, k, stride, padding)\n"
    "    return bytes_per_element * (c_in * h * w + weights + outputs)\n\n\n"
    "def arithmetic_intensity(c_in, c_out, k, h, w, stride=1, padding=0, groups=1, bias=False, bytes_per_element=4):\n"
    "    work = c_out * _size(h, k, stride, padding) * _size(w, k, stride, padding) * (c_in // groups) * k * k\n"
    "    return 2 * work / min_bytes(c_in, c_out, k, h, w, stride, padding, groups, bias, bytes_per_element)\n")
EX02_ROOFLINE_ANSWERS = ("answer_roofline_bound = 'compute'  # 2 x 462,422,016 FLOPs at 2e12, 3,801,088 bytes at 1e11\n"
                         "answer_roofline_time_us = 2 * 128 * 128 * 9 * 56 * 56 / 2e12 * 1e6\n")


def _ex02() -> dict:
    own = {"bytes": EX02_BYTES_ON_ITS_OWN, "answers_roofline": EX02_ROOFLINE_ANSWERS}

    params, macs = in_cell("ex02", "params", "test_params", support=own), in_cell("ex02", "macs", "test_macs", support=own)
    roof = in_cell("ex02", "roofline", "test_roofline", support=own)

    def traffic(*lost):
        return in_cell("ex02", "bytes", *lost, support={"answers_roofline": EX02_ROOFLINE_ANSWERS})

    divide = "flops / min_bytes(c_in, c_out, k, h, w, stride, padding, groups, bias, bytes_per_element)"
    bound = 'return "memory" if nbytes / bandwidth_bytes_per_s >= flops / peak_flops_per_s else "compute"'
    return {
        ("params", "groups ignored"): params(("c_out * (c_in // groups) * k * k", "c_out * c_in * k * k")),
        ("params", "bias always"): params(("(c_out if bias else 0)", "c_out")),
        ("params", "bias forgotten"): params((" + (c_out if bias else 0)", "")),
        ("params", "k not squared"): params(("* k * k +", "* k +")),
        ("macs", "groups ignored"): macs(("* (c_in // groups) * k * k", "* c_in * k * k")),
        ("macs", "padding on one side"): macs(("size + 2 * padding", "size + padding")),
        ("macs", "stride ignored"): macs(("// stride + 1", "+ 1")),
        ("macs", "FLOPs"): macs(("return c_out * h_out", "return 2 * c_out * h_out")),
        ("min_bytes", "bias forgotten"): traffic("test_min_bytes")(("params(c_in, c_out, k, groups, bias)",
                                                                    "params(c_in, c_out, k, groups)")),
        ("min_bytes", "always 4 bytes"): traffic("test_min_bytes")(("return elements * bytes_per_element",
                                                                    "return elements * 4")),
        ("min_bytes", "padded input"): traffic("test_min_bytes", "test_arithmetic_intensity")(
            ("elements = c_in * h * w +", "elements = c_in * (h + 2 * padding) * (w + 2 * padding) +")),
        ("arithmetic_intensity", "MACs per byte"): traffic("test_arithmetic_intensity")(("flops = 2 * macs(",
                                                                                         "flops = macs(")),
        ("arithmetic_intensity", "inverted"): traffic("test_arithmetic_intensity")(
            (f"return {divide}", "return min_bytes(c_in, c_out, k, h, w, stride, padding, groups, bias, "
                                 "bytes_per_element) / flops")),
        ("roofline_min_time", "sum"): roof(("return max(flops / peak_flops_per_s, nbytes / bandwidth_bytes_per_s)",
                                            "return flops / peak_flops_per_s + nbytes / bandwidth_bytes_per_s")),
        ("roofline_min_time", "min"): roof(("return max(flops", "return min(flops")),
        ("roofline_min_time", "FLOPs doubled"): roof(("return max(flops / peak", "return max(2 * flops / peak")),
        ("roofline_bound", "swapped"): roof((bound, bound.replace('"memory" if', '"compute" if').replace(
            'else "compute"', 'else "memory"'))),
    }


# ----------------------------------------------------------------------------- ex03


def _ex03() -> dict:
    rank = in_cell("ex03", "is_rank_one", "test_is_rank_one")
    split = in_cell("ex03", "separate", "test_separate")
    passes = in_cell("ex03", "separable_filter", "test_separable_filter")
    two, three = in_cell("ex03", "savings", "test_saving_2d"), in_cell("ex03", "savings", "test_saving_3d")
    start = "    image = np.asarray(image, dtype=np.float64)\n"
    return {
        ("is_rank_one", "absolute tolerance"): rank(("s[1] <= tol * s[0]", "s[1] <= tol")),
        ("is_rank_one", "matrix_rank"): rank(("return bool(len(s) < 2 or s[1] <= tol * s[0])",
                                              "return bool(np.linalg.matrix_rank(kernel) == 1)")),
        ("separate", "sigma forgotten"): split(("return u[:, 0] * s[0], vt[0]", "return u[:, 0], vt[0]")),
        ("separate", "vt column"): split(("return u[:, 0] * s[0], vt[0]", "return u[:, 0] * s[0], vt[:, 0]")),
        ("separable_filter", "passes swapped"): passes((start, start + "    column, row = row, column\n")),
        ("separable_filter", "flipped"): passes((start, start + "    column, row = column[::-1], row[::-1]\n")),
        ("separable_filter", "padding on one side"): passes(
            ("(((k_h - 1) // 2, (k_h - 1) // 2), (0, 0))", "((k_h - 1, 0), (0, 0))"),
            ("((0, 0), ((k_w - 1) // 2, (k_w - 1) // 2))", "((0, 0), (k_w - 1, 0))")),
        ("saving_2d", "one pass"): two(("return k * k / (2 * k)", "return k * k / k")),
        ("saving_2d", "inverted"): two(("return k * k / (2 * k)", "return 2 * k / (k * k)")),
        ("saving_3d", "two passes"): three(("k ** 3 / (3 * k)", "k ** 3 / (2 * k)")),
        ("saving_3d", "inverted"): three(("k ** 3 / (3 * k)", "3 * k / k ** 3")),
    }


# ----------------------------------------------------------------------------- ex07


def _ex07() -> dict:
    macs, params = in_cell("ex07", "v1_cost", "test_v1_macs"), in_cell("ex07", "v1_cost", "test_v1_params")
    block = in_cell("ex07", "inverted_residual", "test_inverted_residual")
    block_params = in_cell("ex07", "block_cost", "test_block_params")
    block_macs = in_cell("ex07", "block_cost", "test_block_macs")
    width = "    def width(c):\n        return max(8, int(alpha * c))\n\n"
    expand = 'z = np.clip(np.einsum("oc,nchw->nohw", w_expand, x) + b_expand[None, :, None, None], 0, 6)'
    dw = "z = np.clip(depthwise3x3(z, w_dw, stride) + b_dw[None, :, None, None], 0, 6)"
    project = 'np.einsum("oc,nchw->nohw", w_project, z) + b_project[None, :, None, None]'
    expansion = "expansion = h * w * c_in * hidden if t > 1 else 0"
    return {
        ("v1_macs", "n // 2"): macs(("side = (resolution - 1) // 2 + 1", "side = resolution // 2"),
                                    ("side = (side - 1) // stride + 1", "side = side // stride")),
        ("v1_macs", "no max(8, ...)"): macs((width + "    side", width.replace("max(8, int(alpha * c))", "int(alpha * c)")
                                             + "    side")),
        ("v1_macs", "classifier forgotten"): macs(("return macs + channels * 1000", "return macs")),
        ("v1_params", "no max(8, ...)"): params((width + "    channels = width(32)\n    params", width.replace(
            "max(8, int(alpha * c))", "int(alpha * c)") + "    channels = width(32)\n    params")),
        ("v1_params", "classifier forgotten"): params(("return params + channels * 1000", "return params")),
        ("inverted_residual", "ReLU6 after projection"): block((f"y = {project}", f"y = np.clip({project}, 0, 6)")),
        ("inverted_residual", "ReLU"): block((expand, expand.replace("np.clip(", "np.maximum(").replace(", 0, 6)", ", 0)")),
                                             (dw, dw.replace("np.clip(", "np.maximum(").replace(", 0, 6)", ", 0)"))),
        ("inverted_residual", "no residual"): block(("        y = y + x\n", "        pass\n")),
        ("block_params", "expansion when t = 1"): block_params(("expansion = c_in * hidden if t > 1 else 0",
                                                                "expansion = c_in * hidden")),
        ("block_params", "k^2 in projection"): block_params(("+ hidden * c_out\n", "+ hidden * c_out * k * k\n")),
        ("block_macs", "expansion after the stride"): block_macs((expansion, expansion.replace("h * w", "h_out * w_out"))),
        ("block_macs", "stride ignored"): block_macs(("h_out, w_out = (h - 1) // stride + 1, (w - 1) // stride + 1",
                                                      "h_out, w_out = h, w")),
        ("block_macs", "expansion when t = 1"): block_macs((expansion, "expansion = h * w * c_in * hidden")),
    }


# ----------------------------------------------------------------------------- ex09


def _ex09() -> dict:
    conv = in_cell("ex09", "conv2d_same", "test_conv2d_same", "test_inception_forward")
    pool = in_cell("ex09", "max_pool3x3", "test_max_pool3x3", "test_inception_forward")
    block = in_cell("ex09", "inception_forward", "test_inception_forward")
    params = in_cell("ex09", "inception_cost", "test_inception_params", "test_inception_macs")
    macs = in_cell("ex09", "inception_cost", "test_inception_macs")
    separable = in_cell("ex09", "separable_inception_cost", "test_separable_inception_cost")
    grouped = in_cell("ex09", "grouped_conv_params", "test_grouped_conv_params")
    weights = "return c_out * (c_in // groups) * k * k"
    return {
        ("conv2d_same", "flipped kernel"): conv(("weight[:, :, u, v]", "weight[:, :, k - 1 - u, k - 1 - v]")),
        ("conv2d_same", "bias forgotten"): conv(("return y + np.asarray(bias)[None, :, None, None]", "return y")),
        ("conv2d_same", "padding on one side"): conv(("(p, p), (p, p)", "(k - 1, 0), (k - 1, 0)")),
        ("max_pool3x3", "zero padding"): pool(("constant_values=-np.inf", "constant_values=0.0")),
        ("inception_forward", "branch order"): block(("[branch1, branch2, branch3, branch4]",
                                                      "[branch2, branch1, branch3, branch4]")),
        ("inception_forward", "no ReLU after reduce"): block(
            ('conv_relu(conv_relu(x, "3x3_reduce"), "3x3")', 'conv_relu(conv2d_same(x, *weights["3x3_reduce"]), "3x3")'),
            ('conv_relu(conv_relu(x, "5x5_reduce"), "5x5")', 'conv_relu(conv2d_same(x, *weights["5x5_reduce"]), "5x5")')),
        ("inception_params", "5x5 as 9"): params(("25 * r5 * c5", "9 * r5 * c5")),
        ("inception_params", "no reductions"): params(("branch2 = c_in * r3 + 9 * r3 * c3", "branch2 = 9 * c_in * c3"),
                                                      ("branch3 = c_in * r5 + 25 * r5 * c5", "branch3 = 25 * c_in * c5")),
        ("inception_params", "pool projection forgotten"): params(("branch4 = c_in * p", "branch4 = 0")),
        ("inception_macs", "per pixel"): macs(("return h * w * inception_params(", "return inception_params(")),
        ("separable_inception_params", "pointwise forgotten"): separable(("9 * r3 + r3 * c3", "9 * r3"),
                                                                         ("25 * r5 + r5 * c5", "25 * r5")),
        ("separable_inception_params", "standard branches"): separable(("9 * r3 + r3 * c3", "9 * r3 * c3"),
                                                                       ("25 * r5 + r5 * c5", "25 * r5 * c5")),
        ("grouped_conv_params", "groups ignored"): grouped((weights, "return c_out * c_in * k * k")),
        ("grouped_conv_params", "one group only"): grouped((weights, "return (c_out // groups) * (c_in // groups) * k * k")),
    }


# ----------------------------------------------------------------------------- ex11


def _ex11() -> dict:
    dw = in_cell("ex11", "depthwise_conv1d", "test_depthwise_conv1d", "test_separable_conv1d")
    sep = in_cell("ex11", "separable_conv1d", "test_separable_conv1d")
    video = in_cell("ex11", "costs_3d", "test_costs_3d")
    mid = in_cell("ex11", "r2plus1d", "test_r2plus1d_mid", "test_r2plus1d_cost")
    r21 = in_cell("ex11", "r2plus1d", "test_r2plus1d_cost")
    size = in_cell("ex11", "fft_size", "test_fft_size")
    flops = in_cell("ex11", "fft_flops", "test_fft_flops", "test_fft_crossover")
    energy = in_cell("ex11", "energy", "test_energy")
    sizes = ("    h_out = (height + 2 * (d // 2) - d) // stride + 1\n    w_out = (width + 2 * (d // 2) - d) // stride + 1\n"
             "    return frames * h_out * w_out * ")

    def unstrided(params):
        return (sizes + params, "    h_out, w_out = height, width\n    return frames * h_out * w_out * " + params)

    fraction = "(t * d * d * c_in * c_out) // (d * d * c_in + t * c_out)"
    return {
        ("depthwise_conv1d", "flipped"): dw(("weight[None, :, 0, u, None]", "weight[None, :, 0, k - 1 - u, None]")),
        ("depthwise_conv1d", "padding at the start only"): dw(("(padding, padding)))", "(padding, 0)))"),
                                                              ("length + 2 * padding - k", "length + padding - k")),
        ("depthwise_conv1d", "windows not strided"): dw(("u:u + stride * (l_out - 1) + 1:stride", "u:u + l_out")),
        ("separable_conv1d", "pointwise transposed"): sep(('"oc,ncl->nol"', '"co,ncl->nol"')),
        ("separable_conv1d", "stride and padding dropped"): sep(("depthwise_conv1d(x, depthwise_weight, stride, padding)",
                                                                 "depthwise_conv1d(x, depthwise_weight)")),
        ("conv3d_params", "d not squared"): video(("return c_out * c_in * t * d * d", "return c_out * c_in * t * d")),
        ("conv3d_params", "t left out"): video(("return c_out * c_in * t * d * d", "return c_out * c_in * d * d")),
        ("conv3d_macs", "stride ignored"): video(unstrided("conv3d_params(")),
        ("conv3d_macs", "FLOPs"): video(("return frames * h_out * w_out * conv3d_params(",
                                         "return 2 * frames * h_out * w_out * conv3d_params(")),
        ("separable3d_params", "pointwise forgotten"): video(("return c_in * t * d * d + c_in * c_out",
                                                              "return c_in * t * d * d")),
        ("separable3d_params", "depthwise over C_out"): video(("return c_in * t * d * d + c_in * c_out",
                                                               "return c_out * t * d * d + c_in * c_out")),
        ("separable3d_macs", "stride ignored"): video(unstrided("separable3d_params(")),
        ("r2plus1d_mid_channels", "true division"): mid((fraction, fraction.replace("//", "/"))),
        ("r2plus1d_mid_channels", "round"): mid((f"return {fraction}", f"return round({fraction.replace('//', '/')})")),
        ("r2plus1d_macs", "stride ignored"): r21(unstrided("r2plus1d_params(")),
        ("fft_size_1d", "n + k"): size(("while size < n + k - 1:", "while size < n + k:")),
        ("fft_conv_flops_1d", "complex FFT"): flops(("2.5 * size", "5 * size")),
        ("fft_conv_flops_1d", "N products"): flops(("6 * (size // 2 + 1)", "6 * size")),
        ("fft_conv_flops_1d", "always 3 transforms"): flops(("transforms = 2 if kernel_transformed else 3", "transforms = 3")),
        ("direct_conv_flops_1d", "MACs"): flops(("return 2 * n * k", "return n * k")),
        ("energy_uj", "picojoules"): energy(("return picojoules * 1e-6", "return picojoules")),
        ("energy_uj", "byte as a word"): energy(("byte_pj = HOROWITZ_45NM_PJ[word] / 4", "byte_pj = HOROWITZ_45NM_PJ[word]")),
        ("energy_uj", "joules"): energy(("return picojoules * 1e-6", "return picojoules * 1e-12")),
    }


VARIANTS = {"ex01": _ex01(), "ex02": _ex02(), "ex03": _ex03(), "ex04": _ex04(), "ex05": _ex05(), "ex06": _ex06(),
            "ex07": _ex07(), "ex08": _ex08(), "ex09": _ex09(), "ex10": _ex10(), "ex11": _ex11()}


def sources(assignment: str, variants: list[Variant]) -> dict[str, str]:
    """{answer cell id: source} of a notebook holding all `variants`; ValueError where they do not fit together
    (the same cell replaced differently, edits of one cell that collide, a supporting cell that another variant
    edits). A supporting cell gives way to another variant's replacement of it: those are self-contained too."""
    fixed: dict[str, str] = {}
    pairs: dict[str, list[tuple[str, str]]] = {}
    support: dict[str, str] = {}
    for v in variants:
        for cell, text in v.replace.items():
            if fixed.setdefault(cell, text) != text:
                raise ValueError(f"{cell} replaced twice")
            if not v.self_contained and any(cell in dict(other.support) for other in variants):
                raise ValueError(f"{cell} is another variant's support, and this one depends on other cells")
        for cell, edits in v.edits:
            pairs.setdefault(cell, []).extend(edits)
        for cell, text in v.support:
            if support.setdefault(cell, text) != text:
                raise ValueError(f"{cell} supported twice")
    if set(fixed) & set(pairs) or set(support) & set(pairs):
        raise ValueError("a cell both replaced and edited")
    result = {**support, **fixed}
    for cell, edits in pairs.items():
        text = solution_sources(assignment)[cell]
        for old, new in edits:
            if text.count(old) != 1:
                raise ValueError(f"{cell}: {old!r} found {text.count(old)} times")
            text = text.replace(old, new)
        result[cell] = text
    return result


def packed(assignment: str) -> list[list[tuple[str, str]]]:
    """The assignment's variants, (function, key), grouped so that those in a group test different parts and
    fit in one notebook (`sources`): each group is one notebook."""
    groups: list[tuple[list[tuple[str, str]], set[str]]] = []
    crowd = {key: sum(1 for v in VARIANTS[assignment].values() if v.graded_lost & variant.graded_lost)
             for key, variant in VARIANTS[assignment].items()}
    for key, variant in sorted(VARIANTS[assignment].items(), key=lambda item: -crowd[item[0]]):  # crowded parts first
        for members, parts in groups:
            if parts & variant.graded_lost:
                continue
            try:
                sources(assignment, [VARIANTS[assignment][m] for m in members] + [variant])
            except ValueError:
                continue
            members.append(key)
            parts |= variant.graded_lost
            break
        else:
            groups.append(([key], set(variant.graded_lost)))
    return [members for members, _ in groups]
