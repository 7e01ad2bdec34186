"""Run one blocking call (open/stop/close a device) in its own short-lived thread.

The default executor is avoided on purpose: its worker threads outlive the call. Here each
call gets a daemon thread that ends with the call. If the caller stops waiting (timeout or
cancellation) the call still finishes in its thread and ``cleanup`` disposes of its result,
so an abandoned ``open`` never leaks a device.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def run_blocking(
    func: Callable[[], T],
    *,
    name: str,
    time_limit: float,
    cleanup: Callable[[T], object] | None = None,
) -> T:
    """Return ``func()`` run in a new thread; raise its exception or ``TimeoutError``."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    lock = threading.Lock()
    abandoned = False  # set under lock by _abandon

    def deliver(result: T | None, exc: BaseException | None) -> None:
        if future.done():
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def target() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = func()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            error = exc
        with lock:
            late = abandoned
        if late:
            if error is None and cleanup is not None:
                try:
                    cleanup(result)  # type: ignore[arg-type]
                except Exception:
                    logger.exception("cleaning up after abandoned %s failed", name)
            return
        try:
            loop.call_soon_threadsafe(deliver, result, error)
        except RuntimeError:  # the loop is closed
            if error is None and cleanup is not None:
                cleanup(result)  # type: ignore[arg-type]

    def _abandon() -> None:
        """Stop waiting; whatever the call returns later is disposed of in a thread."""
        nonlocal abandoned
        with lock:
            abandoned = True

        def dispose(done: asyncio.Future[T]) -> None:
            if done.cancelled() or done.exception() is not None or cleanup is None:
                return
            _cleanup_in_thread(cleanup, done.result(), name)

        future.add_done_callback(dispose)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    try:
        async with asyncio.timeout(time_limit):
            return await asyncio.shield(future)
    except asyncio.CancelledError:
        # Cancelled mid-call: let the call finish and undo it here, in order, so no stray
        # thread touches the device later (PortAudio crashes if that happens at exit).
        if not await _settle(future, time_limit, cleanup):
            _abandon()
        raise
    except BaseException:
        _abandon()
        raise
    finally:
        if future.done():
            thread.join(timeout=1.0)


async def _settle(
    future: asyncio.Future[T], time_limit: float, cleanup: Callable[[T], object] | None
) -> bool:
    """Wait for a cancelled call to end and clean up its result; False if it hangs."""
    try:
        async with asyncio.timeout(time_limit):
            result = await asyncio.shield(future)
    except TimeoutError:
        return False
    except Exception:  # noqa: BLE001 - any failure of the call means nothing to undo
        return True  # the call itself failed: nothing was opened, nothing to undo
    if cleanup is not None:
        worker = threading.Thread(
            target=cleanup, args=(result,), name="lkdesk-cleanup", daemon=True
        )
        worker.start()
        await asyncio.to_thread(worker.join, time_limit)
    return True


def _cleanup_in_thread(cleanup: Callable[[T], object], result: T, name: str) -> None:
    def run() -> None:
        try:
            cleanup(result)
        except Exception:
            logger.exception("cleaning up after abandoned %s failed", name)

    threading.Thread(target=run, name=f"{name}-cleanup", daemon=True).start()
