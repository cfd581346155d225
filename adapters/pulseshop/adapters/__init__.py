"""PulseShop adapters."""
