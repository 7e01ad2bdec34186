"""Version and shape checks shared by the adaptation modules' ``check_compatible()``.

Each adaptation reaches into private attributes of aiortc or aioice. Rather than failing
somewhere deep in a call, the engine calls ``check_compatible()`` at import and gets one
clear error naming what changed. The shape checks read the names a function's bytecode uses
(``co_names``), which is how a renamed private attribute or a removed call shows up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

SUPPORTED_AIORTC = ("1.16.",)
SUPPORTED_AIOICE = ("0.13.",)


class AdaptationIncompatibleError(RuntimeError):
    """The installed aiortc/aioice is not the one an adaptation was written for."""


def require_version(module: ModuleType, prefixes: tuple[str, ...]) -> None:
    """Fail unless ``module.__version__`` starts with one of ``prefixes``."""
    version = str(getattr(module, "__version__", "?"))
    if not version.startswith(prefixes):
        wanted = " or ".join(f"{p}x" for p in prefixes)
        raise AdaptationIncompatibleError(
            f"lkdesk's {module.__name__} adaptation is written for {wanted}, found {version}"
        )


def code_names(function: Callable[..., Any]) -> set[str]:
    """Every attribute/global name ``function``'s bytecode (and nested code) refers to."""
    code = getattr(function, "__code__", None)
    if code is None:
        return set()
    names: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(c for c in current.co_consts if hasattr(c, "co_names"))
    return names


def require_names(owner: str, function: Callable[..., Any], names: Iterable[str]) -> None:
    """Fail unless ``function`` still uses every one of ``names``."""
    used = code_names(function)
    missing = sorted(set(names) - used)
    if missing:
        raise AdaptationIncompatibleError(f"{owner} no longer uses {', '.join(missing)}")


def require_attributes(owner: str, cls: type, names: Iterable[str]) -> None:
    """Fail unless ``cls`` has every one of ``names`` (methods, properties)."""
    missing = sorted(name for name in names if not hasattr(cls, name))
    if missing:
        raise AdaptationIncompatibleError(f"{owner} has no {', '.join(missing)} any more")
