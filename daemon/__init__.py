"""clarityd: the Clarity worker daemon."""

__version__ = "0.1.0"
