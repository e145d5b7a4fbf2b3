"""The student's side of a proxied call: runs in the student's (confined) kernel, answers the trusted side.

The trusted kernel sends each request as an `execute_request` whose only work
is one user expression, `handle('<base64 request>')`, and reads the base64
reply from the `execute_reply`. A request is a dict:

    {"op": "describe", "names": [...]}           each name's value if it is plain data, else a marker
    {"op": "call", "target": ref, "args": [...], "kwargs": {...}, "forbidden": [...] or None}
    {"op": "call_each", "target": ref, "calls": [[args, kwargs], ...], "forbidden": [...] or None}
    {"op": "getattr", "target": ref, "name": "..."}
    {"op": "len" | "iter" | "next" | "repr" | "bool", "target": ref}
    {"op": "getitem", "target": ref, "key": ...}

where a ref is a name in the notebook's namespace ({"t": "name"}) or an object
an earlier reply handed out ({"t": "handle"}). A reply is {"ok": value} or
{"error": type name, "message": ..., "traceback": ...}. Nothing here is trusted
by the other side: whatever the student's code does to this module, it can only
change the values its own functions appear to return.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import traceback
import types
from typing import Any

from dsconv_lib.checks import forbid as _forbid

from . import wire

_HANDLES: dict[int, Any] = {}
MAX_HANDLES = 100_000
MAX_MESSAGE = 2000


def handle(request: str) -> str:
    """Answer one base64 request with a base64 reply (see the module's docstring)."""
    try:
        message = wire.decode(base64.b64decode(request), _resolve)
        reply = {"ok": _OPERATIONS[message["op"]](message)}
        data = wire.encode(reply, _register, convert_subclasses=True)
    except BaseException as error:  # noqa: BLE001 - everything the student's code raises goes back as data
        data = wire.encode(_error_reply(error))
    return base64.b64encode(data).decode("ascii")


def _error_reply(error: BaseException) -> dict:
    frames = traceback.format_exception(type(error), error, error.__traceback__)
    return {"error": type(error).__name__, "message": str(error)[:MAX_MESSAGE],
            "traceback": "".join(frames)[-4 * MAX_MESSAGE:]}


# ----------------------------------------------------------------------------- references


def _namespace() -> dict:
    from IPython import get_ipython

    return get_ipython().user_ns


def _resolve(node: dict) -> Any:
    if node["t"] == "handle":
        if node.get("id") not in _HANDLES:
            raise LookupError(f"no object with handle {node.get('id')!r}")
        return _HANDLES[node["id"]]
    name = node.get("v")
    namespace = _namespace()
    if name not in namespace:
        raise NameError(f"name {name!r} is not defined in the notebook")
    return namespace[name]


def _register(value: Any) -> dict:
    if len(_HANDLES) >= MAX_HANDLES:
        raise MemoryError("too many objects handed to the tests")
    key = len(_HANDLES) + 1
    _HANDLES[key] = value
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr of the student's own
        text = "(its repr raised an error)"
    kind = type(value)
    return {"t": "handle", "id": key, "type": f"{kind.__module__}.{kind.__qualname__}",
            "repr": text[:200], "callable": callable(value)}


# ----------------------------------------------------------------------------- operations


def _describe(message: dict) -> dict:
    namespace = _namespace()
    described = {}
    for name in message["names"]:
        if name not in namespace:
            continue
        value = namespace[name]
        if isinstance(value, types.ModuleType):
            described[name] = {"module": value.__name__}
            continue
        try:
            wire.encode(value, convert_subclasses=True)  # plain data: sent as it is
            described[name] = {"value": value}
        except wire.WireError:
            described[name] = {"object": True, "callable": callable(value)}
    return described


def _forbidden_targets(specs: list) -> list:
    """Dotted names stay names; {"function": "module:qualname"} becomes that function."""
    targets = []
    for spec in specs:
        if isinstance(spec, str):
            targets.append(spec)
            continue
        module_name, _, qualname = spec["function"].partition(":")
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
        targets.append(target)
    return targets


def _call(message: dict) -> Any:
    function = message["target"]
    specs = message.get("forbidden")
    with _forbid(*_forbidden_targets(specs)) if specs is not None else contextlib.nullcontext():
        return function(*message.get("args", []), **message.get("kwargs", {}))


def _call_each(message: dict) -> list:
    """Several calls of one function, each under `forbid`: [{"ok": result} or an error reply, ...]."""
    function, specs = message["target"], message.get("forbidden")
    targets = _forbidden_targets(specs) if specs is not None else None
    outcomes = []
    for args, kwargs in message["calls"]:
        try:
            with _forbid(*targets) if targets is not None else contextlib.nullcontext():
                outcomes.append({"ok": function(*args, **kwargs)})
        except Exception as error:  # noqa: BLE001 - one case's error, sent back with the others
            outcomes.append(_error_reply(error))
    return outcomes


_OPERATIONS = {
    "describe": _describe,
    "call": _call,
    "call_each": _call_each,
    "getattr": lambda m: getattr(m["target"], m["name"]),
    "getitem": lambda m: m["target"][m["key"]],
    "len": lambda m: len(m["target"]),
    "iter": lambda m: iter(m["target"]),
    "next": lambda m: {"done": True} if (item := next(m["target"], _END)) is _END else {"item": item},
    "repr": lambda m: repr(m["target"])[:MAX_MESSAGE],
    "bool": lambda m: bool(m["target"]),
}
_END = object()
