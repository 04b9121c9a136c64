"""transport.Watchdog and transport.RequestThreads: deadlines fire on time whatever the order
they were set in, finished exchanges do not pile up, and request threads are reused without a
task ever waiting for another."""

from __future__ import annotations

import threading
import time

from provider.sparkpost import transport
from provider.sparkpost.transport import Exchange, RequestThreads, Watchdog


class Recording(Exchange):
    def __init__(self) -> None:
        super().__init__()
        self.expired_at: float | None = None

    def expire(self) -> None:
        self.expired_at = time.monotonic()
        super().expire()


def wait_for(cond, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def test_an_earlier_deadline_set_while_a_later_one_waits_still_fires() -> None:
    dog = Watchdog()
    late, early = Recording(), Recording()
    dog.watch(late, 30.0)
    time.sleep(0.05)  # the thread now sleeps until the 30 s deadline
    dog.watch(early, 0.2)
    assert wait_for(lambda: early.expired_at is not None)
    assert late.expired_at is None and early.expired


def test_later_deadlines_fire_after_an_earlier_one_without_a_wake_up() -> None:
    dog = Watchdog()
    first, second = Recording(), Recording()
    dog.watch(first, 0.1)
    dog.watch(second, 0.3)  # later than the head: the thread is not woken for it
    assert wait_for(lambda: second.expired_at is not None)
    assert first.expired_at is not None and first.expired_at <= second.expired_at


def test_unwatched_exchanges_never_expire_and_do_not_pile_up() -> None:
    dog = Watchdog()
    ids = [dog.watch(Recording(), 30.0) for _ in range(transport._COMPACT_AFTER + 10)]
    keep = Recording()
    dog.watch(keep, 0.2)
    for ident in ids:
        dog.unwatch(ident)
    assert len(dog._heap) < transport._COMPACT_AFTER  # compacted
    assert wait_for(lambda: keep.expired_at is not None)
    gone = Recording()
    dog.unwatch(dog.watch(gone, 0.1))
    time.sleep(0.3)
    assert gone.expired_at is None and not gone.expired


def test_request_threads_are_reused() -> None:
    threads = RequestThreads()
    seen: list[int] = []
    for _ in range(5):
        done = threading.Event()

        def task(done: threading.Event = done) -> None:
            seen.append(threading.get_ident())
            done.set()

        threads.run(task)
        assert done.wait(5)
        assert wait_for(lambda: len(threads._idle) == 1)  # back to idle before the next
    assert len(set(seen)) == 1
    threads.close()


def test_a_busy_or_abandoned_task_never_delays_another() -> None:
    threads = RequestThreads()
    release = threading.Event()
    threads.run(release.wait)  # a request still in flight (say, abandoned), until released
    done = threading.Event()
    threads.run(done.set)
    assert done.wait(60)  # ran while the first one still waits: not after it
    assert not release.is_set()
    release.set()
    threads.close()


def test_close_ends_the_idle_threads() -> None:
    threads = RequestThreads()
    names_before = {t.ident for t in threading.enumerate() if t.name == "sparkpost-request"}
    done = threading.Event()
    threads.run(done.set)
    assert done.wait(5) and wait_for(lambda: len(threads._idle) == 1)
    ours = {t.ident for t in threading.enumerate() if t.name == "sparkpost-request"} - names_before
    threads.close()
    assert wait_for(lambda: not ours & {t.ident for t in threading.enumerate()})
