import sys

from books_api.cli import main

sys.exit(main())
