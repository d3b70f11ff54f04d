"""`python3 -m actors.ais.sim --seeds 100000 --nodes 2-6`: see `actors.ais.sim.command`."""

import sys

from actors.ais.sim.command import main

sys.exit(main())
