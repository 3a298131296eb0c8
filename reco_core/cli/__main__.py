"""`python -m reco_core.cli`: the same entry point as the `reco` script."""

import sys

from reco_core.cli import main

sys.exit(main())
