"""PulseShop shell."""
