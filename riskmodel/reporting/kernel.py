"""The kernel a batch runs its notebooks on: quiet on a good run.

Two lines used to reach the console for every scenario, from the kernel process
(whose stderr is the batch's):

- ``Kernel is running over TCP without encryption`` (ipykernel's ``init_sockets``):
  the kernel manager did not hand the kernel CurveZMQ keys. The project's kernelspec
  declares ``supported_encryption: [curve]`` (``python -m ipykernel install`` writes
  it), so ``transport_encryption = "auto"`` provisions the keys and the kernel talks
  encrypted; no warning because there is nothing to warn about.
- ``KeyboardInterrupt caught in kernel``: jupyter_client's ``shutdown_kernel`` sends
  SIGINT before the shutdown request; a kernel still inside a message handler logs it
  as an error. After the last cell the kernel has nothing to interrupt, so this
  manager asks it to shut down without the SIGINT (it is still terminated, then
  killed, if it does not stop in ``shutdown_wait_time``). Interrupts at any other time
  (a cell over its timeout) are sent as before.
"""
from __future__ import annotations

from typing import Any

from jupyter_client.manager import AsyncKernelManager

__all__ = ["QuietKernelManager", "papermill_options"]


def _curve() -> bool:
    import zmq

    return bool(zmq.has("curve"))


class QuietKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` with encrypted transport and no SIGINT at shutdown.

    Parameters
    ----------
    **kwargs
        Passed to ``AsyncKernelManager``.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if _curve() and self.transport_encryption == "disabled":
            self.transport_encryption = "auto"  # only where the kernelspec supports it

    async def _async_interrupt_kernel(self) -> None:
        if getattr(self, "shutting_down", False):
            return
        await super()._async_interrupt_kernel()


def papermill_options() -> dict[str, Any]:
    """Keyword arguments for ``papermill.execute_notebook`` (passed on to nbclient).

    Returns
    -------
    dict
        ``{"kernel_manager_class": QuietKernelManager}``.
    """
    return {"kernel_manager_class": QuietKernelManager}
