"""How much memory the machine can still hand out, to refuse work that cannot fit before starting it.

Examples
--------
>>> free = available_memory()
>>> free is None or free > 0
True
"""

from __future__ import annotations

__all__ = ["available_memory"]


def available_memory() -> int | None:
    """Bytes the kernel can still hand out (``MemAvailable`` of /proc/meminfo), or None where unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
