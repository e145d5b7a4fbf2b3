"""The trusted side of a proxied call: stand-ins for the student's names, in the kernel that runs the tests.

    student = StudentKernel(connection_info, pid, timeout=30)
    conv2d = RemoteName(student, "conv2d")        # what a test cell sees for the student's `conv2d`
    conv2d(x, w)                                   # runs in the student's kernel, comes back as plain data

A call sends its arguments as plain data (`wire`), runs the student's function
in the student's kernel with the `forbid` targets active in this process at the
moment of the call, and brings back plain data; any other result comes back as
a `RemoteObject`, whose attributes, items, length and iteration are remote
operations again. An exception in the student's code comes back as an
exception of the same name (a built-in one where the name is one, else a class
made for it), raised here. Nothing the student's kernel sends is evaluated:
replies are decoded by `wire.decode`, which builds plain data only.
"""

from __future__ import annotations

import base64
import builtins
import os
import re
import signal
import time
from typing import Any, Optional, Sequence

import zmq
from jupyter_client.session import Session

from . import wire

REPLY = re.compile(r"^'([A-Za-z0-9+/=]*)'$")
SERVE = "__import__('dsconv_grader.execution.remote.serve', fromlist=['handle']).handle"
INTERRUPT_GRACE_S = 2.0
POLL_S = 0.25


class StudentKernelError(RuntimeError):
    """The student's kernel did not answer a call: it timed out, died, or stopped responding."""


class StudentKernel:
    """A client of the student's kernel's shell channel that makes one request at a time."""

    def __init__(self, connection_info: dict, pid: Optional[int], timeout: float = 30.0) -> None:
        self.pid, self.timeout = pid, timeout
        key = connection_info.get("key", "")
        self.session = Session(key=key.encode() if isinstance(key, str) else key,
                               signature_scheme=connection_info.get("signature_scheme", "hmac-sha256"))
        self.context = zmq.Context.instance()
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.linger = 0
        transport, ip = connection_info.get("transport", "tcp"), connection_info.get("ip", "127.0.0.1")
        self.socket.connect(f"{transport}://{ip}:{connection_info['shell_port']}")
        self.broken: Optional[str] = None

    def close(self) -> None:
        self.socket.close(0)

    def request(self, message: dict) -> Any:
        """Send `message` (see `serve`), wait for the reply, return its value or raise its error."""
        if self.broken:
            raise StudentKernelError(self.broken)
        payload = base64.b64encode(wire.encode(message, _reference)).decode("ascii")
        sent = self.session.send(self.socket, "execute_request", {
            "code": "", "silent": True, "store_history": False, "allow_stdin": False, "stop_on_error": False,
            "user_expressions": {"reply": f"{SERVE}({payload!r})"}})
        reply = self._wait(sent["header"]["msg_id"])
        return _unpack(reply)

    def _wait(self, msg_id: str) -> dict:
        deadline = time.monotonic() + self.timeout
        try:
            while True:
                if time.monotonic() > deadline:
                    self._interrupt()
                    raise StudentKernelError(f"the student's code ran past the time limit ({self.timeout:g} s)")
                if self.socket.poll(POLL_S * 1000):
                    _, message = self.session.feed_identities(self.socket.recv_multipart(), copy=True)
                    reply = self.session.deserialize(message, content=True)
                    if reply["parent_header"].get("msg_id") == msg_id:
                        self.broken = None
                        return reply["content"]
                elif not self._alive():
                    self.broken = "the student's kernel died"
                    raise StudentKernelError("the student's kernel died (it crashed or was killed)")
        except KeyboardInterrupt:  # the test cell was interrupted (its own time limit): stop the student's code too
            self._interrupt()
            raise

    def _interrupt(self) -> None:
        """SIGINT to the student's kernel, then up to INTERRUPT_GRACE_S for it to answer again."""
        if self.pid is None or not self._alive():
            return
        try:
            os.kill(self.pid, signal.SIGINT)
        except OSError:
            return
        end = time.monotonic() + INTERRUPT_GRACE_S
        while time.monotonic() < end:
            if self.socket.poll(50):
                self.socket.recv_multipart()  # the interrupted call's reply
                self.broken = None
                return
        self.broken = "the student's kernel stopped responding after an interrupt"

    def _alive(self) -> bool:
        if self.pid is None:
            return True
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as stat:
                return stat.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
        except OSError:
            return False


def _unpack(content: dict) -> Any:
    if content.get("status") != "ok":
        raise StudentKernelError(f"the student's kernel refused the call ({content.get('ename', 'error')})")
    expression = content.get("user_expressions", {}).get("reply", {})
    if expression.get("status") != "ok":
        raise StudentKernelError("the student's kernel could not run the call: "
                                 f"{expression.get('ename', '?')}: {str(expression.get('evalue', ''))[:200]}")
    text = expression.get("data", {}).get("text/plain", "")
    match = REPLY.match(text) if isinstance(text, str) else None
    if match is None:
        raise StudentKernelError("the student's kernel sent a reply that is not a message")
    try:
        reply = wire.decode(base64.b64decode(match.group(1)), _handle_factory)
    except (wire.WireError, ValueError) as error:
        raise StudentKernelError(f"the student's kernel sent a reply that is not plain data: {error}") from None
    if type(reply) is not dict:
        raise StudentKernelError("the student's kernel sent a reply that is not a message")
    if "ok" in reply:
        return reply["ok"]
    raise remote_exception(str(reply.get("error", "Exception")), str(reply.get("message", "")),
                           str(reply.get("traceback", "")))


# The student's kernel in which handles were made; set by `connect` (one student per trusted kernel).
_CURRENT: Optional[StudentKernel] = None


def _handle_factory(node: dict) -> "RemoteObject":
    if node["t"] != "handle" or type(node.get("id")) is not int:
        raise wire.WireError("only handles come back from the student's side")
    return RemoteObject(_CURRENT, node["id"], str(node.get("type", "object"))[:200], str(node.get("repr", ""))[:200],
                        node.get("callable") is True)


def _reference(value: Any) -> dict:
    """How a proxy travels back to the student's side; anything else that is not plain data cannot."""
    if isinstance(value, _Remote):
        return value._ref()
    kind = type(value)
    raise wire.WireError(f"the tests passed an object of type {kind.__module__}.{kind.__qualname__}, "
                         "which cannot be sent to the student's code")


# ----------------------------------------------------------------------------- exceptions

_BUILTIN_ERRORS = {name: getattr(builtins, name) for name in dir(builtins)
                   if isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name), Exception)}
_MADE: dict[str, type] = {}
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")


class RemoteError(Exception):
    """An exception raised by the student's code in the student's kernel."""

    remote_traceback = ""


def remote_exception(name: str, message: str, remote_traceback: str = "") -> Exception:
    """An exception to raise here for one raised there: the same built-in type, or a RemoteError subclass
    of the same name. The course's own errors keep their meaning (ForbiddenCallError, NotImplementedError)."""
    if name == "ForbiddenCallError":
        from dsconv_lib.checks import ForbiddenCallError

        error: Exception = ForbiddenCallError(message)
    elif name in _BUILTIN_ERRORS:
        error = _BUILTIN_ERRORS[name](message)
    else:
        if not IDENTIFIER.match(name):
            name = "RemoteError"
        kind = _MADE.setdefault(name, type(name, (RemoteError,), {"__module__": "student"}))
        error = kind(message)
    error.remote_traceback = remote_traceback  # type: ignore[attr-defined]
    return error


# ----------------------------------------------------------------------------- proxies


def active_forbidden() -> Optional[list]:
    """The `forbid` targets in force in this process right now, as the student's side can resolve them."""
    from dsconv_lib.checks import active_forbid_targets

    return forbidden_specs(active_forbid_targets())


def forbidden_specs(targets: Optional[Sequence[Any]]) -> Optional[list]:
    """`forbid` targets as the student's side resolves them: dotted names, and functions by module and name."""
    if targets is None:
        return None
    specs = []
    for target in targets:
        if isinstance(target, str):
            specs.append(target)
        else:
            specs.append({"function": f"{target.__module__}:{target.__qualname__}"})
    return specs


class _Remote:
    """What the student's names and objects look like to the tests. Every operation is a remote call."""

    _kernel: StudentKernel

    def _ref(self) -> dict:
        raise NotImplementedError

    def _ask(self, op: str, **fields: Any) -> Any:
        return self._kernel.request({"op": op, "target": self, **fields})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._kernel.request({"op": "call", "target": self, "args": list(args), "kwargs": kwargs,
                                     "forbidden": active_forbidden()})

    def call_each(self, calls: list[tuple[tuple, dict]], forbidden: Optional[Sequence[Any]]) -> list[tuple[Any, Any]]:
        """Many calls in one crossing (what `checks.check_function_cases` uses): [(result, None) or
        (None, exception), ...], each call run under `forbid(*forbidden)` on the student's side."""
        replies = self._kernel.request({"op": "call_each", "target": self, "forbidden": forbidden_specs(forbidden),
                                        "calls": [[list(args), kwargs] for args, kwargs in calls]})
        if type(replies) is not list or len(replies) != len(calls):
            raise StudentKernelError("the student's kernel sent a reply that does not match the calls")
        return [(reply["ok"], None) if type(reply) is dict and "ok" in reply else
                (None, remote_exception(str(reply.get("error", "Exception")) if type(reply) is dict else "Exception",
                                        str(reply.get("message", "")) if type(reply) is dict else ""))
                for reply in replies]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __getitem__(self, key: Any) -> Any:
        return self._ask("getitem", key=key)

    def __len__(self) -> int:
        length = self._ask("len")
        if type(length) is not int:
            raise TypeError("len() of the student's object is not an int")
        return length

    def __bool__(self) -> bool:
        return self._ask("bool") is True

    def __iter__(self):
        iterator = self._ask("iter")
        while True:
            step = iterator._ask("next") if isinstance(iterator, _Remote) else {"done": True}
            if type(step) is not dict or "item" not in step:
                return
            yield step["item"]


class RemoteName(_Remote):
    """A name in the student's notebook, looked up there at each use (so it is always the current one)."""

    def __init__(self, kernel: StudentKernel, name: str) -> None:
        self._kernel, self.__name__ = kernel, name

    def _ref(self) -> dict:
        return {"t": "name", "v": self.__name__}

    def __repr__(self) -> str:
        return f"<the student's {self.__name__}>"


class RemoteObject(_Remote):
    """An object the student's code returned that is not plain data (a model, a generator, an instance)."""

    def __init__(self, kernel: StudentKernel, handle: int, type_name: str, text: str, is_callable: bool) -> None:
        self._kernel, self._id, self._type, self._repr, self._callable = kernel, handle, type_name, text, is_callable

    def _ref(self) -> dict:
        return {"t": "handle", "id": self._id}

    @property
    def __name__(self) -> str:
        return self._type.rsplit(".", 1)[-1]

    def __repr__(self) -> str:
        return f"<a {self._type} from the student's code: {self._repr}>"
