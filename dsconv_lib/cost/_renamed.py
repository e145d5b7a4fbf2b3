"""Old import paths of renamed modules, kept for one release with a DeprecationWarning.

`cost.profile` and `cost.roofline` are functions, and were also the names of the
modules that held them, so `import dsconv_lib.cost.profile as m` gave the function.
The modules are now `profiling` and `roofline_model`. Their old paths stay
importable (`from dsconv_lib.cost.profile import Profile` warns and works) by an
alias in `sys.modules` only: nothing is set on the package, where the functions
keep their names.
"""

from __future__ import annotations

import sys
import types
import warnings


def keep_old_path(old_name: str, module: types.ModuleType) -> None:
    """Make `from <old_name> import x` return `module.x`, with a DeprecationWarning naming `module`."""

    def __getattr__(name: str) -> object:
        if name.startswith("__"):  # introspection (inspect.getmodule, ...) must not see the alias as `module`
            raise AttributeError(name)
        warnings.warn(f"{old_name} is deprecated: the module is now {module.__name__}; "
                      f"import {name} from there or from dsconv_lib.cost", DeprecationWarning, stacklevel=2)
        return getattr(module, name)

    alias = types.ModuleType(old_name, f"Deprecated alias of {module.__name__}.")
    alias.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules.setdefault(old_name, alias)
