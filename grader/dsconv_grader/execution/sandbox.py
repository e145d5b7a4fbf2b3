"""Limits on the process that runs a student's notebook (the grading kernel), set before any of it runs.

- `confine_filesystem(read_only, read_write)`: Linux Landlock (kernel 5.13+,
  no privileges needed). The process and its children may then read only the
  listed folders (the Python installation, dsconv_lib, this package, system libraries) and
  write only its scratch folder: the instructor's solutions, the gradebook and
  other students' work are out of reach, whatever the code does. From Landlock
  ABI 4 it also may not open TCP connections, and from ABI 6 it may not send
  signals to processes outside itself (the grader). Returns the ABI version, or
  0 where Landlock is missing (macOS, old kernels): then these files are only as
  safe as the instructor's machine makes them (run grading in a container).
- `set_resource_limits(...)`: address space (memory), file size, open files,
  no core dumps.
- `install_audit_hook()`: an audit hook (PEP 578; it cannot be removed) that
  refuses to start processes, fork, send signals, open sockets or trace
  frames from then on.
- `freeze_modules()`: dsconv_lib's and the grader's module objects refuse
  attribute assignment, so that `forbid`, and the code in this kernel that
  applies it to each call (`remote.serve`), stay what they are (the tests
  themselves run in another process, out of reach).
- `OutputCap`: stops a notebook's printed output at a byte budget.
"""

from __future__ import annotations

import ctypes
import os
import sys
import types
from pathlib import Path
from typing import Iterable

# ---------------------------------------------------------------------------- Landlock

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_PR_SET_NO_NEW_PRIVS = 38
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2

_FS = {name: 1 << bit for bit, name in enumerate((
    "EXECUTE", "WRITE_FILE", "READ_FILE", "READ_DIR", "REMOVE_DIR", "REMOVE_FILE", "MAKE_CHAR", "MAKE_DIR",
    "MAKE_REG", "MAKE_SOCK", "MAKE_FIFO", "MAKE_BLOCK", "MAKE_SYM", "REFER", "TRUNCATE", "IOCTL_DEV"))}
_FS_READ = _FS["EXECUTE"] | _FS["READ_FILE"] | _FS["READ_DIR"]
_FILE_ONLY = _FS["EXECUTE"] | _FS["WRITE_FILE"] | _FS["READ_FILE"] | _FS["TRUNCATE"] | _FS["IOCTL_DEV"]
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1, 2


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The Landlock ABI version of this kernel, 0 when there is none (or not Linux x86_64/arm64)."""
    if sys.platform != "linux":
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    version = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


class _NetPortAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def confine_filesystem(read_only: Iterable[str | Path], read_write: Iterable[str | Path],
                       bind_ports: Iterable[int] = ()) -> int:
    """Restrict this process (and what it starts) to reading `read_only` and reading/writing `read_write`.

    With Landlock ABI 4 or later it may bind only `bind_ports` (the kernel's
    own sockets) and connect nowhere over TCP. Paths that do not exist are
    skipped. Returns the Landlock ABI in force, 0 (and changes nothing) where
    Landlock is unavailable.
    """
    abi = landlock_abi()
    if abi < 1:
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    handled_fs = sum(_FS.values())
    if abi < 2:
        handled_fs &= ~_FS["REFER"]
    if abi < 3:
        handled_fs &= ~_FS["TRUNCATE"]
    if abi < 5:
        handled_fs &= ~_FS["IOCTL_DEV"]
    attr = _RulesetAttr(handled_fs, (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
                        (_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), f"landlock_create_ruleset: {os.strerror(ctypes.get_errno())}")
    try:
        for access, paths in ((_FS_READ, read_only), (handled_fs, read_write)):
            for path in paths:
                _add_path_rule(libc, ruleset, Path(path), access & handled_fs)
        if abi >= 4:
            for port in bind_ports:
                rule = _NetPortAttr(_NET_BIND_TCP, int(port))
                if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_NET_PORT, ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule port {port}: {os.strerror(ctypes.get_errno())}")
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.syscall(_SYS_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_restrict_self: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)
    return abi


def _add_path_rule(libc, ruleset: int, path: Path, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not path.is_dir():
            access &= _FILE_ONLY
        rule = _PathBeneathAttr(access, fd)
        if libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(fd)


def python_paths() -> list[Path]:
    """What Python needs to read to import the course's libraries: prefixes, sys.path, dsconv_lib, this package."""
    import dsconv_grader
    import dsconv_lib

    packages = {Path(module.__file__).resolve().parent for module in (dsconv_lib, dsconv_grader)}
    prefixes = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), Path(sys.executable).resolve().parent.parent}
    paths = prefixes | packages
    for entry in sys.path:
        if not entry or not Path(entry).exists() or Path(entry).resolve() == Path.cwd().resolve():
            continue
        path = Path(entry).resolve()
        # A source checkout on sys.path (PYTHONPATH=the course repository, `pip install -e` with a path
        # entry) holds solutions/ with the hidden tests: of it, only the packages (added above) are readable.
        inside_prefix = any(path == p.resolve() or p.resolve() in path.parents for p in prefixes)
        if not inside_prefix and (any(p.is_relative_to(path) for p in packages) or (path / "nbgrader_config.py").exists()
                                  or (path / "solutions").is_dir()):
            continue
        paths.add(path)
    return sorted(paths)


SYSTEM_READ_ONLY = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/sys",
                    "/dev/urandom", "/dev/random", "/opt/conda")
# Not /dev/shm: it would be a channel from one student's kernel to another's.
SYSTEM_READ_WRITE = ("/dev/null", "/dev/zero")
# Of /proc, what numpy, torch and the kernel read about the machine; not the other processes' command
# lines and environments (the grader's among them), which the whole of /proc would show.
PROC_READ_ONLY = ("/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/sys", "/proc/filesystems")


def system_read_only() -> list[str]:
    """What a confined process reads of the system: SYSTEM_READ_ONLY, PROC_READ_ONLY and its own /proc/<pid>."""
    return [*SYSTEM_READ_ONLY, *PROC_READ_ONLY, f"/proc/{os.getpid()}"]


# ---------------------------------------------------------------------------- resource limits


def set_resource_limits(memory_mb: int, file_size_mb: int = 64, open_files: int = 256) -> None:
    """Address space (memory_mb; 0 for none), largest file written, open files; no core dumps."""
    import resource

    limits = {resource.RLIMIT_CORE: 0, resource.RLIMIT_FSIZE: file_size_mb * 1024 * 1024,
              resource.RLIMIT_NOFILE: open_files}
    if memory_mb > 0:
        limits[resource.RLIMIT_AS] = memory_mb * 1024 * 1024
    for which, value in limits.items():
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))


# ---------------------------------------------------------------------------- audit hook

# (Native libraries stay loadable: `import torch` loads its own through ctypes.)
DENIED_EVENTS = ("os.system", "os.exec", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.kill",
                 "os.killpg", "subprocess.Popen", "signal.pthread_kill", "pty.spawn", "socket.connect",
                 "socket.bind")


class GradingViolation(PermissionError):
    """Raised inside the grading kernel when code does what the grader forbids."""


def install_audit_hook() -> None:
    """From now on this process refuses the events in DENIED_EVENTS (a hook cannot be removed)."""
    def hook(event: str, args: tuple) -> None:
        if event.startswith(DENIED_EVENTS):
            raise GradingViolation(f"the grader does not allow {event} in a submission")

    sys.addaudithook(hook)


# ---------------------------------------------------------------------------- frozen modules

# The tests run in another process, so nothing here protects a verdict; dsconv_lib and this package stay
# frozen so that `forbid` (the implement-it-yourself rule, applied in this process by `remote.serve`) is
# what the library says it is.
PROTECTED_PACKAGES = ("dsconv_lib", "dsconv_grader")


class FrozenModule(types.ModuleType):
    """A module whose attributes cannot be reassigned or deleted (submodules may still be attached)."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and name not in self.__dict__:
            types.ModuleType.__setattr__(self, name, value)  # the import system attaching a submodule
            return
        raise GradingViolation(f"the grader does not allow changing {self.__name__}.{name}")

    def __delattr__(self, name: str) -> None:
        raise GradingViolation(f"the grader does not allow deleting {self.__name__}.{name}")


def freeze_modules(packages: Iterable[str] = PROTECTED_PACKAGES) -> int:
    """Make every loaded module of `packages` a FrozenModule; returns how many were frozen."""
    roots = tuple(packages)
    count = 0
    for name, module in list(sys.modules.items()):
        if type(module) is types.ModuleType and name.split(".")[0] in roots:
            module.__class__ = FrozenModule
            count += 1
    return count


class _FreezingLoader:
    """Runs a loader, then freezes what the import loaded (other attributes: the loader's own)."""

    def __init__(self, loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        if type(module) is types.ModuleType:  # this module only: another one may be half-way through its import
            module.__class__ = FrozenModule

    def __getattr__(self, name: str):
        return getattr(self.loader, name)


class _FreezeAfterImport:
    """A meta path finder: a module of a protected package imported later (in a cell) is frozen as soon as
    its import ends, not only when the cell does, so an import and a patch in the same cell fail too."""

    def __init__(self, packages: Iterable[str]) -> None:
        self.packages = frozenset(packages)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] not in self.packages:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _FreezingLoader(spec.loader)
                return spec
        return None


def freeze_on_import(packages: Iterable[str] = PROTECTED_PACKAGES) -> None:
    """Freeze `packages` that are not loaded yet as soon as they are imported."""
    sys.meta_path.insert(0, _FreezeAfterImport(packages))


# ---------------------------------------------------------------------------- output


class OutputCap:
    """Wraps a text stream; after `limit` characters in all, writes one notice and drops the rest.

    IPython 9 keeps a copy of everything a cell prints in its output history, by replacing
    `sys.stdout.write` for the length of each cell (`InteractiveShell._tee`): for every write, more work than
    the write itself, and a copy in memory of all that the cap drops (a cell printing 100 MB ran 5 s
    longer and kept the 100 MB). A grading kernel keeps no history, so the replacement is not taken.
    """

    def __init__(self, stream, budget: list[int], notice: str) -> None:
        self.stream, self.budget, self.notice = stream, budget, notice

    def __setattr__(self, name: str, value) -> None:
        if name == "write":  # IPython's output history wrapping this stream's write: see the docstring
            return
        super().__setattr__(name, value)

    def write(self, text: str) -> int:
        if self.budget[0] <= 0:
            return len(text)
        if len(text) > self.budget[0]:
            self.stream.write(text[: self.budget[0]] + self.notice)
            self.budget[0] = 0
            return len(text)
        self.budget[0] -= len(text)
        return self.stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self.stream, name)
