"""``python -m bench``: see :mod:`bench.cli`."""

from bench.cli import main

# Guarded: the generator's worker processes import this module again ("spawn").
if __name__ == "__main__":
    raise SystemExit(main())
