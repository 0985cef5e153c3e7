"""`python -m kiosk` runs the same CLI as the `kiosk` console script."""

from kiosk.cli import main

raise SystemExit(main())
