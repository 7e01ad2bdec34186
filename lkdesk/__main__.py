"""``python -m lkdesk``: the same as the ``lkdesk`` command."""

import sys

from lkdesk.app import main

sys.exit(main())
