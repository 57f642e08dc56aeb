import sys

from lsp.entry import main

sys.exit(main())
