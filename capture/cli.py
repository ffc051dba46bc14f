"""Command layer (placeholder until the CLI issue): parse, call one function, map errors to exit codes."""
import sys


def main() -> None:
    print("bt-capture: not yet implemented", file=sys.stderr)
    sys.exit(2)
