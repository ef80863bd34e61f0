"`python -m mixlearn ...`: the same command as the `mixlearn` script (written by hand; see nbs/82_cli.ipynb)."
import sys
from mixlearn.cli import main
if __name__ == "__main__": sys.exit(main())
