"""`python -m schoolgate.cli`: the `schoolgate` command, for when the script is not on the PATH."""

import sys

from schoolgate.cli import main

sys.exit(main())
