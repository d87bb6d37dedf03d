"""Command line: `python -m dlcourse data` makes Fashion-MNIST ready in the data root."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlcourse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="make Fashion-MNIST ready in the data root; print the source used")
    data.add_argument("--no-download", action="store_true", help="never try the internet")
    args = parser.parse_args(argv)

    if args.command == "data":
        from dlcourse.data import DataUnavailableError, data_root, ensure_fashion_mnist

        try:
            ensure_fashion_mnist(data_root(), download=not args.no_download)
        except DataUnavailableError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
