"""lkdesk: a desktop video-conferencing client for LiveKit."""

__version__ = "0.1.0"
