"""`python -m convergence` runs the command line."""

import sys

from convergence.cli import main

sys.exit(main())
