"""WeasyPrint's import without its calls to the C compiler.

WeasyPrint finds Pango, HarfBuzz and fontconfig by trying several names for each library (Windows',
macOS' and Linux's). cffi hands each name it cannot open to :func:`ctypes.util.find_library`, which on
Linux asks ``ldconfig -p`` and then, for a name ldconfig does not know, runs the C compiler and the
linker (gcc, collect2, ld) to look for it. The other systems' names all fail that way: WeasyPrint 70
makes 16 such lookups on Debian, about a third of ``import weasyprint`` (0.33 of 1.1 s measured on
2026-12-01), paid by every pool worker at its start, when every core is busy.

:func:`load` imports WeasyPrint with those lookups answered from one ``ldconfig -p`` alone. If that
misses a library WeasyPrint needs (installed where only the compiler's search finds it), the import is
done again the usual way; with ``LD_LIBRARY_PATH`` set, or off Linux, it is done the usual way at once.
"""
from __future__ import annotations

import contextlib
import ctypes.util
import io
import os
import re
import struct
import subprocess
import sys
from collections.abc import Callable, Iterator

LDCONFIG = "/sbin/ldconfig"

#: ldconfig's name for this machine's ABI (as in CPython's ``ctypes.util``).
_ABI = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}


def load() -> None:
    """Import WeasyPrint (once per process; later calls return at once)."""
    if "weasyprint.text.ffi" in sys.modules:
        return
    if sys.platform.startswith("linux") and not os.environ.get("LD_LIBRARY_PATH"):
        listing = _ldconfig_listing()
        if listing is not None:
            try:
                # WeasyPrint prints its installation help before re-raising: not for this attempt
                with _find_library(_from_listing(listing)), contextlib.redirect_stdout(io.StringIO()):
                    import weasyprint  # noqa: F401
                return
            except OSError:
                pass   # Python has dropped the modules whose import failed: the next import runs them again
    import weasyprint  # noqa: F401, F811 - the usual lookup, compiler and all


def _ldconfig_listing() -> bytes | None:
    try:
        return subprocess.run([LDCONFIG, "-p"], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, env={"LC_ALL": "C", "LANG": "C"}, check=True,
                              timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def _from_listing(listing: bytes) -> Callable[[str], str | None]:
    """``find_library`` as CPython's ldconfig step answers it, from one listing, without the compiler."""
    bits = "-32" if struct.calcsize("l") == 4 else "-64"
    abi = _ABI.get(os.uname().machine + bits, "libc6")

    def find(name: str) -> str | None:
        found = re.search(os.fsencode(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({abi}"), listing)
        return os.fsdecode(found.group(1)) if found else None

    return find


@contextlib.contextmanager
def _find_library(find: Callable[[str], str | None]) -> Iterator[None]:
    original = ctypes.util.find_library
    ctypes.util.find_library = find
    try:
        yield
    finally:
        ctypes.util.find_library = original

