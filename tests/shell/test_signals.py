"""Turning SIGINT and SIGTERM into a clean stop."""

from __future__ import annotations

import os
import signal

import pytest

from pulseshop.shell.signals import ServiceStoppedError, StopSignals

pytestmark = pytest.mark.unit


class TestStopSignals:
    def test_signal_raises_service_stopped(self) -> None:
        """SIGTERM inside the installed block stops the service at once."""
        signals = StopSignals()

        with pytest.raises(ServiceStoppedError) as raised, signals.installed():
            os.kill(os.getpid(), signal.SIGTERM)

        assert signal.SIGTERM == raised.value.signum
        assert "SIGTERM" == str(raised.value)

    def test_deferred_signal_waits_for_the_block_to_end(self) -> None:
        """A signal during a critical section lets the section finish first."""
        signals = StopSignals()
        finished = []

        def interrupted_work() -> None:
            with signals.installed():
                with signals.deferred():
                    os.kill(os.getpid(), signal.SIGINT)
                    finished.append("critical work")
                finished.append("never reached")

        with pytest.raises(ServiceStoppedError) as raised:
            interrupted_work()

        assert ["critical work"] == finished
        assert signal.SIGINT == raised.value.signum

    def test_nested_deferral_releases_at_the_outermost_end(self) -> None:
        """Only leaving the last critical section delivers the stop."""
        signals = StopSignals()
        finished = []

        def nested_sections() -> None:
            with signals.installed(), signals.deferred():
                with signals.deferred():
                    os.kill(os.getpid(), signal.SIGTERM)
                finished.append("outer section continues")

        with pytest.raises(ServiceStoppedError):
            nested_sections()

        assert ["outer section continues"] == finished

    def test_previous_handlers_come_back(self) -> None:
        """Leaving the block restores what was installed before."""
        before = signal.getsignal(signal.SIGTERM)

        with StopSignals().installed():
            assert before != signal.getsignal(signal.SIGTERM)

        assert before == signal.getsignal(signal.SIGTERM)
