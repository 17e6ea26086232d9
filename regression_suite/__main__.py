"""``python -m regression_suite``: the same command as the ``regression_suite`` script."""

from __future__ import annotations

from regression_suite.cli.main import main

if __name__ == "__main__":
    main()
