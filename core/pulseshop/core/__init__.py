"""PulseShop's pure domain library: values and decisions, no I/O.

Everything here takes its inputs as arguments (time included) and returns values;
expected failures come back as ``returns.result.Result`` failures with typed errors.
"""

from pulseshop.core.readiness import Check, Readiness, assess, database_check, migrations_check

__all__ = ["Check", "Readiness", "assess", "database_check", "migrations_check"]
