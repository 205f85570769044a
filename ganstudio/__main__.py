"""Entry point: `ganstudio` with no subcommand opens the app; with a subcommand it works headless."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from ganstudio import cli

    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
