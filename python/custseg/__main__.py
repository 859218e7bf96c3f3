import sys

from custseg.cli import main

sys.exit(main())
