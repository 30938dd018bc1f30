"""Read an untrusted file in a child process with a time and memory bound.

A model file comes from someone else. Reading it must not take the server down: a crafted
protobuf can ask for gigabytes, a parser bug can spin. So the parse runs in a fresh Python
process (``python -c "from vizcnn.sandbox import _child_main; ..."``) that first caps its own
address space and CPU time (``resource.setrlimit``), while the parent waits with a wall-clock
timeout and kills it when it is over. The child answers with plain JSON on stdout; nothing
it returns is code.

Nothing here executes the file: the child only parses it (protobuf, safetensors header,
``torch.load(weights_only=True)``). The bounds are for the parsers, not for the file's code,
because a file's code is never run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vizcnn.errors import VizcnnError

MB = 2 ** 20
_MARK = "@@vizcnn-result@@ "   # prefixes the child's one line of JSON, whatever else it prints
_CHILD = "from vizcnn.sandbox import _child_main; _child_main()"


@dataclass(frozen=True)
class Limits:
    """How much a file may cost to read. ``memory_bytes`` is what the child may map beyond
    what it holds after its imports."""

    max_bytes: int = 200 * MB
    seconds: float = 60.0
    memory_bytes: int = 2048 * MB


DEFAULT_LIMITS = Limits()


def run_isolated(task: str, path: Path, args: dict[str, Any], limits: Limits) -> Any:
    """Run ``task`` on ``path`` in a bounded child process and return its JSON result.

    Raises :class:`VizcnnError` with the child's message, or with the bound it broke.
    """
    request = json.dumps({"task": task, "path": str(path), "args": args,
                          "limits": asdict(limits)})
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD], input=request,
                              capture_output=True, text=True, timeout=limits.seconds, env=env)
    except subprocess.TimeoutExpired:
        raise VizcnnError(f"{path.name}: reading took longer than {limits.seconds:g} s, the "
                          f"time limit; the file is too large or malformed",
                          reason="time limit") from None
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_MARK):
            answer = json.loads(line[len(_MARK):])
            if answer["ok"]:
                return answer["result"]
            raise VizcnnError(answer["error"], reason=answer.get("reason"))
    if done.returncode < 0 or "MemoryError" in done.stderr or "bad_alloc" in done.stderr:
        raise VizcnnError(f"{path.name}: reading stopped at the memory limit "
                          f"({limits.memory_bytes // MB} MB) or was killed "
                          f"(status {done.returncode}); the file is too large or malformed",
                          reason="memory limit")
    last = (done.stderr.strip().splitlines() or ["no answer"])[-1]
    raise VizcnnError(f"{path.name}: the reader failed: {last}", reason="reader failed")


# --- the child -------------------------------------------------------------------------------
def _vm_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _bound(limits: dict[str, Any]) -> None:
    import resource

    budget = _vm_bytes() + int(limits["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    cpu = int(limits["seconds"]) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def _run_task(task: str, path: Path, args: dict[str, Any]) -> Any:
    if task == "onnx":
        from vizcnn.onnx_import import read_onnx

        return json.loads(read_onnx(path, args.get("input_size"), args.get("digest", ""),
                                    args.get("name")).to_json())
    if task == "checkpoint":
        from vizcnn.checkpoint import read_tensors

        return read_tensors(path)
    raise VizcnnError(f"unknown task {task!r}")


def _child_main() -> None:
    request = json.loads(sys.stdin.read())
    # Import what the tasks need before the bound, so the bound is about the file alone.
    import onnx  # noqa: F401
    import torch  # noqa: F401

    import vizcnn.checkpoint  # noqa: F401
    import vizcnn.onnx_import  # noqa: F401

    _bound(request["limits"])
    try:
        result = {"ok": True, "result": _run_task(request["task"], Path(request["path"]),
                                                  request["args"])}
    except VizcnnError as error:
        result = {"ok": False, "error": str(error), "reason": error.reason}
    except MemoryError:
        result = {"ok": False, "error": f"{Path(request['path']).name}: reading stopped at "
                  f"the memory limit; the file is too large or malformed",
                  "reason": "memory limit"}
    except Exception as error:  # a parser's own error on a malformed file: say it, no trace
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        result = {"ok": False, "error": f"{Path(request['path']).name} cannot be read "
                  f"({type(error).__name__}{': ' + text if text else ''})",
                  "reason": "malformed"}
    print(_MARK + json.dumps(result), flush=True)

