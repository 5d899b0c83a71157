"""``python -m targetsms_frames.cli``: the same as the ``targetsms-frames`` command."""

import sys

from . import main

sys.exit(main())
