"""bt-capture: flows."""
