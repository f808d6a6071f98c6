#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Print the include directories that provide <linux/mshv.h> (the kernel's
uapi header, Linux >= 6.15), one per line, or exit 1 if there is none.
Looks at the system headers, then at the uapi headers scripts/install-deps
unpacks into the cache."""

import os
import sys
from pathlib import Path

cache = Path(os.environ.get('QEMU_MSHV_CACHE') or
             Path(os.environ.get('XDG_CACHE_HOME',
                                 os.path.expanduser('~/.cache'))) / 'qemu-mshv')
candidates = [Path('/usr/include'),
              cache / 'unpacked/linux-libc-dev/usr/include']
for inc in candidates:
    if (inc / 'linux/mshv.h').is_file():
        print(inc)
        arch = inc / 'x86_64-linux-gnu'
        if arch.is_dir():
            print(arch)
        sys.exit(0)
sys.exit(1)
