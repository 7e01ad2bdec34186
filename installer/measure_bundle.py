"""What each part of the app bundle costs: the biggest directories and libraries.

    python installer/measure_bundle.py dist/lkdesk [N]
Prints the total, then the N (default 25) largest entries of ``_internal`` (a package
directory counts as one entry; its vendored ``*.libs`` directory as another).
"""

from __future__ import annotations

import sys
from pathlib import Path


def size_of(path: Path) -> int:
    if path.is_symlink():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    bundle = Path(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    internal = bundle / "_internal"
    entries = sorted(((size_of(p), p.name) for p in internal.iterdir()), reverse=True)
    total = size_of(bundle)
    print(f"{bundle}: {total / 2**20:.0f} MiB")
    for size, name in entries[:count]:
        print(f"  {size / 2**20:7.1f} MiB  {name}")
    qt = internal / "PySide6" / "Qt"
    if qt.exists():
        libs = sorted(((size_of(p), p.name) for p in (qt / "lib").iterdir()), reverse=True)
        print("  of PySide6: " + ", ".join(f"{n} {s / 2**20:.1f}" for s, n in libs[:6]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
