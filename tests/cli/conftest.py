"""The real server for the command-line tests (skipped outside the sandbox, failing under CI)."""

from tests.integration.conftest import livekit_server, room_name

__all__ = ["livekit_server", "room_name"]
