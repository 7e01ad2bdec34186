"""The engine's adaptations of aiortc/aioice internals, each pinned and tested."""
