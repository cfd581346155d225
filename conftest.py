"""Settings every test directory shares: the hypothesis profiles.

Under ``CI=true`` the examples are derived from each test's name, so a CI run is
reproducible; elsewhere every run explores new examples. Neither profile has a deadline
or the too-slow health check: on a busy two-core machine a slow example says nothing
about the code.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SHARED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

settings.register_profile("dev", _SHARED)
settings.register_profile("ci", _SHARED, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")
