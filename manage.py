#!/usr/bin/env python
"""Same as the installed ``bangdai`` command."""

from bangdai.__main__ import main

if __name__ == "__main__":
    main()
