"""The demo room: simulated participants with synthetic video, levels, chat and files."""

from lkdesk.session.demo.session import DemoConfig, DemoSession

__all__ = ["DemoConfig", "DemoSession"]
