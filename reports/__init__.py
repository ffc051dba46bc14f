"""bt-capture: reports."""
