"""Run-time shims for neurolib 0.6.2's MultiModel on Python 3.11 + NumPy 2 (no
site-packages edits). Call ``install()`` before importing ``neurolib.models.multimodel``.

* NumPy 2 removed the aliases ``np.float`` / ``np.object`` that
  ``neurolib.models.multimodel.model`` still uses.
* neurolib's ``NumbaBackend.compile_to_numba`` compiles its generated Euler template with
  ``compile(..., "<string>", "exec")`` and takes the function's code object as
  ``co_consts[-3]``. On Python 3.11 the module's co_consts are ``(code, None)``, so that
  index fails. The shim, installed as the ``compile`` global of neurolib's backend module
  only, returns an object whose ``co_consts[-3]`` is the ``integrate`` code object.
"""
import builtins
import types


def _compile_shim(source, filename, mode, *args, **kwargs):
    code = builtins.compile(source, filename, mode, *args, **kwargs)
    if filename == "<string>" and mode == "exec":
        funcs = [c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == "integrate"]
        if len(funcs) == 1:
            return types.SimpleNamespace(co_consts=(funcs[0], None, None))
    return code


def install():
    """Install both shims (idempotent)."""
    import numpy as np

    np.float = float
    np.object = object
    from neurolib.models.multimodel.builder.base import backend

    backend.compile = _compile_shim
