"""bt-capture: capture."""
__version__ = "0.1.0"
