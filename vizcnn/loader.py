"""Load a person's own model from a ``module:factory`` spec.

The app's "Your model" page and the CLI both use :func:`load_factory`. It imports code from
the local environment and runs it, so front ends must only offer it when the operator has
opted in (the app checks ``VIZCNN_ALLOW_USER_MODELS=1``).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from torch import nn

from vizcnn.errors import VizcnnError

SPEC_HELP = "use 'path/to/file.py:factory' or 'package.module:factory'"


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``spec`` into (module or file, attribute path); raise on a malformed spec.

    The split is on the last colon, so a Windows path such as ``C:\\m.py:net`` still works.
    """
    if not isinstance(spec, str) or ":" not in spec:
        raise VizcnnError(f"malformed model spec {spec!r}: {SPEC_HELP}")
    source, _, attr = spec.strip().rpartition(":")
    source, attr = source.strip(), attr.strip()
    if not source or not attr:
        raise VizcnnError(f"malformed model spec {spec!r}: {SPEC_HELP}")
    if not all(part.isidentifier() for part in attr.split(".")):
        raise VizcnnError(f"malformed model spec {spec!r}: {attr!r} is not a Python name; "
                          f"{SPEC_HELP}")
    return source, attr


def _is_file(source: str) -> bool:
    return source.endswith(".py") or "/" in source or os.sep in source


def _import_file(source: str) -> ModuleType:
    path = Path(source).expanduser().resolve()
    if not path.is_file():
        raise VizcnnError(f"model file {source!r} does not exist (looked at {path})")
    # A stable, unique module name per file, so two files called model.py do not collide.
    name = "vizcnn_user_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise VizcnnError(f"cannot import {source!r}: not a Python source file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the user's code: report whatever it raised
        sys.modules.pop(name, None)
        raise VizcnnError(f"importing {source!r} failed: {type(error).__name__}: {error}") \
            from error
    return module


def _import_module(source: str) -> ModuleType:
    if not all(part.isidentifier() for part in source.split(".")):
        raise VizcnnError(f"malformed model spec: {source!r} is neither a .py file nor a "
                          f"module name; {SPEC_HELP}")
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as error:
        raise VizcnnError(f"module {source!r} not found ({error}); is it installed or on "
                          f"PYTHONPATH?") from error
    except Exception as error:
        raise VizcnnError(f"importing {source!r} failed: {type(error).__name__}: {error}") \
            from error


def load_factory(spec: str, **kwargs: Any) -> nn.Module:
    """Import ``module:factory``, call the factory and return its ``nn.Module``.

    Args:
        spec: ``path/to/file.py:factory`` or ``package.module:factory``; the factory may be
            a dotted attribute (``models:Net.small``), a class, or an ``nn.Module`` instance.
        kwargs: keyword arguments for the factory.

    Raises:
        VizcnnError: for a malformed spec, a missing file or module, a missing attribute, a
            factory that raises, or one that does not return an ``nn.Module``.
    """
    source, attr = parse_spec(spec)
    module = _import_file(source) if _is_file(source) else _import_module(source)
    target: Any = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise VizcnnError(f"{source!r} has no attribute {attr!r}") from None
    if isinstance(target, nn.Module):
        return target
    if not callable(target):
        raise VizcnnError(f"{source}:{attr} is a value of type {type(target).__name__}, not a "
                          f"factory (a function or class returning an nn.Module)")
    try:
        model = target(**kwargs)
    except Exception as error:  # the user's code: report whatever it raised
        raise VizcnnError(f"{source}:{attr}() raised {type(error).__name__}: {error}") \
            from error
    if not isinstance(model, nn.Module):
        raise VizcnnError(f"{source}:{attr}() returned a value of type "
                          f"{type(model).__name__}, not an nn.Module")
    return model


__all__ = ["SPEC_HELP", "load_factory", "parse_spec"]
