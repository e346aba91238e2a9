"""Worker processes that do not run the caller's main module again (for ``workers.py``).

multiprocessing prepares a ``forkserver`` or ``spawn`` child by importing the parent's main
module (so functions defined there can be unpickled); a caller's script that calls
``tfinit_audit.audit`` at top level without an ``if __name__ == "__main__":`` guard would then
run its work again in every worker. The tasks here are functions of this package, so these
processes are prepared without the main module. Imported only when a pool starts; the classes
live at module level so a worker can unpickle them.
"""

from __future__ import annotations

import threading
from multiprocessing import context, spawn
from typing import Any

_state = threading.local()  # .on: the process being started now is one of ours
_plain = spawn.get_preparation_data


def _preparation_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = _plain(name)
    if getattr(_state, "on", False):
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


spawn.get_preparation_data = _preparation_data  # unchanged for any process but ours


def _popen(base: Any, process_obj: Any) -> Any:
    _state.on = True
    try:
        return base._Popen(process_obj)
    finally:
        _state.on = False


class SpawnWorker(context.SpawnProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        return _popen(context.SpawnProcess, process_obj)


class SpawnWorkers(context.SpawnContext):
    Process = SpawnWorker


if hasattr(context, "ForkServerProcess"):
    class ForkServerWorker(context.ForkServerProcess):
        @staticmethod
        def _Popen(process_obj: Any) -> Any:
            return _popen(context.ForkServerProcess, process_obj)

    class ForkServerWorkers(context.ForkServerContext):
        Process = ForkServerWorker
