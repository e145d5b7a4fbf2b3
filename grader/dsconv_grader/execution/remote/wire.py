"""Plain data across the trust boundary: how a proxied call's arguments and results travel.

    data = encode(value, register)      # bytes; `register(obj) -> node` for what is not plain data
    value = decode(data, resolve)       # `resolve(node) -> object` for handle and name nodes

Plain data is: None, bool, int, float, complex, str, lists, tuples and dicts of
plain data, numpy arrays and scalars of a numeric or bool dtype, and torch
tensors (rebuilt from their bytes; a Parameter comes back as a Tensor). The
layout is a 4-byte big-endian length, a JSON header, then the raw bytes of
every array one after the other. JSON nodes other than null, booleans, numbers,
strings and lists (a list) are objects tagged by "t":

    {"t": "tuple", "v": [...]}                 {"t": "dict", "v": [[key, value], ...]}
    {"t": "complex", "v": [re, im]}            {"t": "ndarray", "dtype": "<f8", "shape": [2, 3], "b": 0}
    {"t": "scalar", "dtype": "<i8", "b": 1}    {"t": "tensor", "dtype": "float32", "shape": [...], "b": 2, "grad": false}
    {"t": "handle", ...} / {"t": "name", ...}  made by `register`, read by `resolve` (see `serve` and `proxy`)

`decode` trusts nothing in `data`: it builds only the types above, checks every
dtype, shape and length, and raises `WireError` on anything else, so bytes sent
by a student's process can make only plain data. The encoder is told whether it
may turn a subclass into its plain base (the student's side does: an answer of
its own `int` subclass is sent as the int it converts to) or must refuse it.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from typing import Any, Callable, Optional

import numpy as np

MAX_BYTES = 256 * 2**20  # one message, header and buffers
MAX_DEPTH = 64
NUMERIC_KINDS = "biufc"
TENSOR_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
                 "complex64", "complex128")


class WireError(ValueError):
    """Bytes that are not a message of this format, or a value that cannot be sent as plain data."""


Register = Callable[[Any], dict]
Resolve = Callable[[dict], Any]


# ----------------------------------------------------------------------------- encode


def encode(value: Any, register: Optional[Register] = None, convert_subclasses: bool = False) -> bytes:
    """`value` as bytes. Objects that are not plain data go to `register` (which returns a JSON node);
    without one they raise WireError. `convert_subclasses`: send an int/float/str/list/tuple/dict/ndarray
    subclass as its plain base value instead of registering it."""
    buffers: list[bytes] = []
    header = json.dumps(_Encoder(buffers, register, convert_subclasses).node(value, 0)).encode()
    data = struct.pack(">I", len(header)) + header + b"".join(buffers)
    if len(data) > MAX_BYTES:
        raise WireError(f"the value is too large to send ({len(data) / 2**20:.0f} MiB; at most {MAX_BYTES // 2**20} MiB)")
    return data


class _Encoder:
    def __init__(self, buffers: list[bytes], register: Optional[Register], convert_subclasses: bool) -> None:
        self.buffers, self.register, self.convert = buffers, register, convert_subclasses

    def buffer(self, raw: bytes) -> int:
        self.buffers.append(raw)
        return len(self.buffers) - 1

    def node(self, value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError(f"the value is nested more than {MAX_DEPTH} levels deep")
        kind = type(value)
        if value is None or kind in (bool, str):
            return value
        if kind is int:
            return value
        if kind is float:
            return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
        if kind is complex:
            return {"t": "complex", "v": [self.node(value.real, depth + 1), self.node(value.imag, depth + 1)]}
        if kind is list:
            return [self.node(v, depth + 1) for v in value]
        if kind is tuple:
            return {"t": "tuple", "v": [self.node(v, depth + 1) for v in value]}
        if kind is dict:
            return {"t": "dict", "v": [[self.node(k, depth + 1), self.node(v, depth + 1)] for k, v in value.items()]}
        if kind is np.ndarray and value.dtype.kind in NUMERIC_KINDS and value.dtype.fields is None:
            array = np.ascontiguousarray(value)
            return {"t": "ndarray", "dtype": _dtype_str(array.dtype), "shape": list(array.shape),
                    "b": self.buffer(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())}
        if isinstance(value, np.generic) and type(value) is np.dtype(type(value)).type and value.dtype.kind in NUMERIC_KINDS:
            return {"t": "scalar", "dtype": _dtype_str(value.dtype),
                    "b": self.buffer(np.asarray(value).astype(value.dtype.newbyteorder("<")).tobytes())}
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor) and type(value) in (torch.Tensor, torch.nn.Parameter):
            return self.tensor(value, torch)
        if self.convert:
            plain = _plain_base(value)
            if plain is not None:
                return self.node(plain, depth + 1)
        if self.register is None:
            raise WireError(f"an object of type {kind.__module__}.{kind.__qualname__} cannot be sent as plain data")
        return self.register(value)

    def tensor(self, value: Any, torch: Any) -> dict:
        name = str(value.dtype).removeprefix("torch.")
        if name not in TENSOR_DTYPES or value.layout != torch.strided:
            raise WireError(f"a tensor of dtype {name} and layout {value.layout} cannot be sent")
        data = value.detach().cpu().contiguous()
        array = (data.view(torch.int16) if name == "bfloat16" else data).numpy()
        return {"t": "tensor", "dtype": name, "shape": list(value.shape), "grad": bool(value.requires_grad),
                "b": self.buffer(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())}


def _plain_base(value: Any) -> Any:
    """The plain value a subclass of a plain type stands for, or None (run on the student's side only)."""
    for base in (bool, int, float, complex, str):
        if isinstance(value, base):
            return base(value)
    if isinstance(value, np.ndarray):
        return np.asarray(value).view(np.ndarray)
    if isinstance(value, np.generic) and value.dtype.kind in NUMERIC_KINDS:
        return np.asarray(value).view(np.ndarray)[()]
    for base in (list, tuple, dict):
        if isinstance(value, base):
            return base(value)
    return None


def _dtype_str(dtype: np.dtype) -> str:
    return dtype.newbyteorder("<").str if dtype.itemsize > 1 else dtype.str


# ----------------------------------------------------------------------------- decode


def decode(data: bytes, resolve: Optional[Resolve] = None) -> Any:
    """The value `data` encodes; handle and name nodes go to `resolve`. Raises WireError on anything else."""
    if not isinstance(data, (bytes, bytearray)) or len(data) < 4 or len(data) > MAX_BYTES:
        raise WireError("not a message (too short, too long, or not bytes)")
    (size,) = struct.unpack(">I", data[:4])
    if 4 + size > len(data):
        raise WireError("the header runs past the end of the message")
    try:
        header = json.loads(data[4:4 + size].decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise WireError(f"the header is not JSON: {error}") from None
    return _Decoder(memoryview(data)[4 + size:], resolve).value(header, 0)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is sent as a tagged float")


class _Decoder:
    def __init__(self, raw: memoryview, resolve: Optional[Resolve]) -> None:
        self.raw, self.resolve = raw, resolve
        self.cursor, self.used = 0, 0  # buffers follow the header in the order of their indices

    def value(self, node: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("nested too deeply")
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.value(v, depth + 1) for v in node]
        if type(node) is not dict or type(node.get("t")) is not str:
            raise WireError(f"unexpected node {str(node)[:80]}")
        tag = node["t"]
        if tag == "tuple":
            return tuple(self.value(v, depth + 1) for v in self.items(node))
        if tag == "dict":
            pairs = [self.value(v, depth + 1) for v in self.items(node)]
            if any(type(p) is not list or len(p) != 2 for p in pairs):
                raise WireError("a dict is a list of [key, value] pairs")
            try:
                return {k: v for k, v in pairs}
            except TypeError as error:
                raise WireError(f"a dict key is not hashable: {error}") from None
        if tag == "float":
            if node.get("v") not in ("nan", "inf", "-inf"):
                raise WireError("a tagged float is nan, inf or -inf")
            return float(node["v"])
        if tag == "complex":
            re_im = self.items(node)
            if len(re_im) != 2:
                raise WireError("a complex number is [re, im]")
            re, im = (self.value(v, depth + 1) for v in re_im)
            if type(re) is not float or type(im) is not float:
                raise WireError("a complex number's parts are floats")
            return complex(re, im)
        if tag in ("ndarray", "scalar"):
            array = self.array(node, np.dtype(self.dtype(node)), self.shape(node) if tag == "ndarray" else ())
            return array if tag == "ndarray" else array[()]
        if tag == "tensor":
            return self.tensor(node)
        if tag in ("handle", "name") and self.resolve is not None:
            return self.resolve(node)
        raise WireError(f"unexpected tag {tag!r}")

    @staticmethod
    def items(node: dict) -> list:
        if type(node.get("v")) is not list:
            raise WireError(f"a {node['t']} node needs a list")
        return node["v"]

    @staticmethod
    def dtype(node: dict) -> str:
        text = node.get("dtype")
        if type(text) is not str or len(text) > 8:
            raise WireError("missing dtype")
        try:
            dtype = np.dtype(text)
        except TypeError:
            raise WireError(f"unknown dtype {text!r}") from None
        if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise WireError(f"dtype {text!r} is not numeric")
        return text

    @staticmethod
    def shape(node: dict) -> tuple[int, ...]:
        shape = node.get("shape")
        if type(shape) is not list or len(shape) > 32 or any(type(n) is not int or n < 0 for n in shape):
            raise WireError("a shape is a list of at most 32 sizes")
        return tuple(shape)

    def array(self, node: dict, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
        raw = self.take(node, dtype.itemsize * math.prod(shape))
        return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))  # a writable copy

    def take(self, node: dict, nbytes: int) -> memoryview:
        """The next buffer, which must be the one `node` names."""
        if node.get("b") != self.used:
            raise WireError("buffers are used once each, in the order of their indices")
        if self.cursor + nbytes > len(self.raw):
            raise WireError("an array's bytes run past the end of the message")
        view = self.raw[self.cursor:self.cursor + nbytes]
        self.cursor += nbytes
        self.used += 1
        return view

    def tensor(self, node: dict) -> Any:
        import torch

        name = node.get("dtype")
        if name not in TENSOR_DTYPES:
            raise WireError(f"tensor dtype {name!r} is not allowed")
        shape = self.shape(node)
        numpy_dtype = np.dtype(np.int16) if name == "bfloat16" else torch.empty(0, dtype=getattr(torch, name)).numpy().dtype
        array = self.array(node, numpy_dtype.newbyteorder("<"), shape)
        tensor = torch.from_numpy(array)
        if name == "bfloat16":
            tensor = tensor.view(torch.bfloat16)
        if node.get("grad") is True and tensor.is_floating_point():
            tensor.requires_grad_(True)
        return tensor
