"""The two-process grading's parts, directly: the wire format, which names are the student's, and a real call
from a trusted client into a kernel that runs `remote.serve` (dsconv_grader.execution.remote)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from dsconv_grader.execution.remote import wire
from dsconv_grader.execution.remote.names import bound_names, read_names

# ----------------------------------------------------------------------------- wire


PLAIN = [None, True, 3, -2**70, 2.5, float("nan"), float("-inf"), 1 + 2j, "text", [1, [2.0, "x"]], (1, (2,)),
         {"a": 1, 2: (3, 4), (1, 2): None}, np.arange(6.0).reshape(2, 3), np.zeros((0, 3), np.float32),
         np.array([True, False]), np.arange(4, dtype=">i4"), np.float32(1.5), np.int64(7), np.bool_(True),
         np.asfortranarray(np.arange(6).reshape(2, 3)), np.arange(10)[::3]]


@pytest.mark.parametrize("value", PLAIN, ids=[type(v).__name__ + str(i) for i, v in enumerate(PLAIN)])
def test_plain_data_comes_back_equal_and_of_the_same_type(value):
    back = wire.decode(wire.encode(value))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype.newbyteorder("=") and back.shape == value.shape
        np.testing.assert_array_equal(back, value)
        assert back.flags.writeable
    elif isinstance(value, float) and value != value:
        assert back != back
    else:
        assert back == value


def test_tensors_keep_dtype_shape_and_grad():
    torch = pytest.importorskip("torch")
    for tensor in (torch.arange(6.0).reshape(2, 3), torch.ones(3, dtype=torch.bfloat16),
                   torch.nn.Parameter(torch.ones(2)), torch.zeros(2, 2, dtype=torch.int64).t()):
        back = wire.decode(wire.encode(tensor))
        assert type(back) is torch.Tensor and back.dtype == tensor.dtype and back.shape == tensor.shape
        assert back.requires_grad == tensor.requires_grad
        assert torch.equal(back.detach(), tensor.detach())


def test_objects_that_are_not_plain_data_go_to_register_or_are_refused():
    class Mine:
        pass

    with pytest.raises(wire.WireError, match="cannot be sent as plain data"):
        wire.encode([1, Mine()])
    registered = []
    data = wire.encode({"model": Mine()}, register=lambda obj: registered.append(obj) or {"t": "handle", "id": 1})
    assert len(registered) == 1
    assert wire.decode(data, resolve=lambda node: ("resolved", node["id"])) == {"model": ("resolved", 1)}
    with pytest.raises(wire.WireError):  # without a resolver a handle is not plain data
        wire.decode(data)


def test_subclasses_become_their_plain_base_on_the_students_side_only():
    class Two(int):
        def __eq__(self, other):
            return True

    class Mine(np.ndarray):
        pass

    assert type(wire.decode(wire.encode(Two(2), convert_subclasses=True))) is int
    back = wire.decode(wire.encode(np.zeros(3).view(Mine), convert_subclasses=True))
    assert type(back) is np.ndarray
    with pytest.raises(wire.WireError):
        wire.encode(Two(2))


def _message(header, buffers=b""):
    text = json.dumps(header).encode()
    return struct.pack(">I", len(text)) + text + buffers


@pytest.mark.parametrize("bad", [
    b"", b"\x00\x00", b"\x00\x00\x00\x10{}",                                     # short, or header past the end
    _message({"t": "object", "v": "os.system"}),                                   # an unknown tag
    _message({"t": "ndarray", "dtype": "O", "shape": [1], "b": 0}, b"\x00" * 8),   # object dtype
    _message({"t": "ndarray", "dtype": "V8", "shape": [1], "b": 0}, b"\x00" * 8),  # void / structured
    _message({"t": "ndarray", "dtype": "<f8", "shape": [4], "b": 0}, b"\x00" * 8),  # bytes missing
    _message({"t": "ndarray", "dtype": "<f8", "shape": [-1], "b": 0}),             # negative size
    _message([{"t": "scalar", "dtype": "<f8", "b": 1}], b"\x00" * 8),              # buffers out of order
    _message({"t": "float", "v": "1e400"}),                                        # only nan / inf are tagged
    _message({"t": "dict", "v": [[[1], 2]]}),                                      # an unhashable key
    _message({"t": "tensor", "dtype": "qint8", "shape": [1], "b": 0}, b"\x00"),    # a dtype outside the list
    b"\x00\x00\x00\x03NaN",                                                        # JSON constants are refused
    _message({"t": "handle", "id": 1}),                                            # no resolver
])
def test_decode_builds_nothing_but_plain_data_from_hostile_bytes(bad):
    with pytest.raises(wire.WireError):
        wire.decode(bad)


def test_nesting_and_size_are_bounded():
    deep: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError, match="nested"):
        wire.encode(deep)
    with pytest.raises(wire.WireError, match="too large"):
        wire.encode(np.zeros(wire.MAX_BYTES // 8 + 1))


# ----------------------------------------------------------------------------- names


def test_read_names_finds_names_read_anywhere_in_a_cell():
    source = ("from dsconv_lib import cost\n"
              "def reference(c):\n    return cost.conv(c, helper_width)\n"
              "check_function_cases(conv_params, cases, reference)\n"
              "[answer_q1 for _ in range(2)]\n")
    assert {"cost", "helper_width", "check_function_cases", "conv_params", "cases", "answer_q1", "range"} \
        <= read_names(source)
    assert read_names("def broken(:\n") == set()


def test_bound_names_are_the_top_level_bindings_only():
    source = ("import numpy as np\nimport torch.nn.functional as F\nfrom x import y as z\n"
              "hidden = {}\nfor _i in range(3):\n    _k = _i\n"
              "def reference(a):\n    local = a\n    return local\n"
              "class Helper:\n    attribute = 1\n"
              "with open('f') as handle:\n    pass\n"
              "if (n := 3):\n    a, (b, c) = 1, (2, 3)\n"
              "[inside for inside in range(2)]\n")
    assert bound_names(source) == {"np", "F", "z", "hidden", "_i", "_k", "reference", "Helper", "handle", "n",
                                   "a", "b", "c"}


# ----------------------------------------------------------------------------- a real kernel


@pytest.fixture(scope="module")
def student():
    """A kernel playing the student's, with remote.serve loaded, and a trusted client connected to it."""
    pytest.importorskip("ipykernel")
    from jupyter_client.manager import start_new_kernel

    from dsconv_grader.execution.remote import proxy

    km, kc = start_new_kernel(kernel_name="python3", extra_arguments=["--HistoryManager.enabled=False"])
    kc.execute_interactive(
        "import numpy as np\nimport dsconv_grader.execution.remote.serve\n"
        "from dsconv_lib.reference import conv2d as library_conv2d\n"
        "answer = 16\nanswer_list = [1, 2.5]\n"
        "class Counter:\n    def __init__(self):\n        self.n = 0\n"
        "    def add(self, k):\n        self.n += k\n        return self.n\n"
        "    def __len__(self):\n        return 7\n    def __iter__(self):\n        return iter([10, 20])\n"
        "def double(x):\n    return 2 * x\n"
        "def uses_library(x, w):\n    return library_conv2d(x, w)\n"
        "def fails(x):\n    raise ValueError(f'bad {x}')\n"
        "def not_yet():\n    raise NotImplementedError()\n"
        "def loops():\n    while True:\n        pass\n", timeout=60)
    info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in km.get_connection_info(session=False).items()}
    client = proxy.StudentKernel(info, km.provisioner.pid, timeout=3)
    proxy._CURRENT = client
    yield client
    client.close()
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_a_call_runs_in_the_students_kernel_and_brings_back_plain_data(student):
    from dsconv_grader.execution.remote.proxy import RemoteName

    double = RemoteName(student, "double")
    x = np.arange(6.0).reshape(2, 3)
    assert np.array_equal(double(x), 2 * x) and double.__name__ == "double"
    assert double("ab") == "abab"
    described = student.request({"op": "describe", "names": ["answer", "answer_list", "double", "np", "nothing"]})
    assert described["answer"] == {"value": 16} and described["answer_list"] == {"value": [1, 2.5]}
    assert described["double"] == {"object": True, "callable": True}
    assert described["np"] == {"module": "numpy"} and "nothing" not in described


def test_objects_come_back_as_handles_whose_operations_are_remote(student):
    from dsconv_grader.execution.remote.proxy import RemoteName, RemoteObject

    counter = RemoteName(student, "Counter")()
    assert isinstance(counter, RemoteObject) and "Counter" in repr(counter)
    assert counter.add(2) == 2 and counter.add(3) == 5 and counter.n == 5  # state stays on the student's side
    assert len(counter) == 7 and list(counter) == [10, 20]
    assert not hasattr(counter, "__array__")  # no remote call for dunders numpy probes


def test_errors_come_back_as_exceptions_of_the_same_name(student):
    from dsconv_lib.checks import ForbiddenCallError, forbid
    from dsconv_grader.execution.remote.proxy import RemoteName

    with pytest.raises(ValueError, match="bad 3"):
        RemoteName(student, "fails")(3)
    with pytest.raises(NotImplementedError):
        RemoteName(student, "not_yet")()
    with pytest.raises(NameError):
        RemoteName(student, "undefined_name")()
    x, w = np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))
    assert RemoteName(student, "uses_library")(x, w).shape == (1, 1, 2, 2)
    with forbid():  # the forbid in force here is applied there, for the call
        with pytest.raises(ForbiddenCallError, match="implement it yourself"):
            RemoteName(student, "uses_library")(x, w)
    assert RemoteName(student, "uses_library")(x, w).shape == (1, 1, 2, 2)  # and lifted afterwards


def test_call_each_runs_every_case_and_keeps_each_outcome(student):
    from dsconv_lib.checks import ForbiddenCallError, check_function_cases
    from dsconv_grader.execution.remote.proxy import RemoteName

    outcomes = RemoteName(student, "double").call_each([((1,), {}), (("a",), {}), ((), {"x": 2.5})], None)
    assert outcomes == [(2, None), ("aa", None), (5.0, None)]
    check_function_cases(RemoteName(student, "double"), {"one": (np.ones(3),), "two": {"x": 4}}, lambda x: x + x)
    with pytest.raises(AssertionError, match="raised ValueError: bad 1"):
        check_function_cases(RemoteName(student, "fails"), {"one": (1,)}, lambda x: x)
    with pytest.raises(ForbiddenCallError):
        check_function_cases(RemoteName(student, "uses_library"), {"one": (np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)))},
                             lambda x, w: x[:, :, :1, :1], forbidden=["dsconv_lib.reference"])


def test_a_call_past_its_time_limit_is_interrupted_and_the_kernel_answers_again(student):
    from dsconv_grader.execution.remote.proxy import RemoteName, StudentKernelError

    with pytest.raises(StudentKernelError, match="time limit"):
        RemoteName(student, "loops")()
    assert RemoteName(student, "double")(4) == 8


def test_a_reply_that_is_not_a_message_is_refused(student):
    from dsconv_grader.execution.remote import proxy

    for content in ({"status": "ok", "user_expressions": {"reply": {"status": "ok", "data": {
                        "text/plain": "__import__('os').system('true')"}}}},
                    {"status": "ok", "user_expressions": {"reply": {"status": "ok", "data": {"text/plain": "'AAAA'"}}}},
                    {"status": "error", "ename": "SystemExit"}):
        with pytest.raises(proxy.StudentKernelError):
            proxy._unpack(content)
