"""``python -m indexer [SOURCE ...] [--index DIR]``: the same as ``naba index``."""

import sys

from naba.cli import cli

cli(["index", *sys.argv[1:]], prog_name="python -m indexer")
