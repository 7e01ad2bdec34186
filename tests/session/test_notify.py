"""Desktop notifications: which chat messages notify (mentions of the user's name too), and
what the freedesktop notification service on the sandbox's D-Bus receives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lkdesk.session import Attachment, ChatEntry
from lkdesk.session.notify import ChatNotification, DesktopNotifier, chat_notification, mentions
from tests.support.notifications import notification_service


def entry(text: str, *, local: bool = False, attachment: Attachment | None = None) -> ChatEntry:
    return ChatEntry("m1", "ana", "Ana", text, datetime.now(UTC), local, attachment)


def test_mentions_find_the_users_name_as_a_word_in_any_case() -> None:
    names = ("Sam Taylor", "sam-1a2b")
    assert mentions("thanks @sam, see you", names)
    assert mentions("SAM TAYLOR please look", names)
    assert mentions("ping sam-1a2b", names)
    assert not mentions("the same sample", names)
    assert not mentions("anyone?", ("",))


def test_only_others_messages_notify_and_mentions_are_marked() -> None:
    names = ("Sam",)
    assert chat_notification(entry("hi", local=True), "standup", names) is None
    plain = chat_notification(entry("the build is green"), "standup", names)
    assert plain == ChatNotification("Ana wrote in standup", "the build is green", False)
    named = chat_notification(entry("Sam, can you check?"), "standup", names)
    assert named is not None and named.mention and named.summary == "Ana mentioned you in standup"
    assert chat_notification(entry("the build"), "standup", names, mentions_only=True) is None
    file = chat_notification(entry("", attachment=Attachment("t", "a.pdf", 3)), "r", names)
    assert file is not None and file.body == "sent a file: a.pdf"
    long = chat_notification(entry("x" * 1000), "r", names)
    assert long is not None and len(long.body) == 300


async def test_the_notification_service_receives_summary_body_and_urgency(tmp_path: Path) -> None:
    notifier = DesktopNotifier()
    with notification_service(tmp_path) as service:
        try:
            assert await notifier.notify(ChatNotification("Ana wrote in r", "lunch?", False), "r")
            mention = ChatNotification("Bo mentioned you in r", "Sam?", True)
            assert await notifier.notify(mention, "r")
        finally:
            await notifier.aclose()
        got = service.all()
    assert [(n["app"], n["summary"], n["body"], n["urgency"]) for n in got] == [
        ("lkdesk", "Ana wrote in r", "lunch?", 1),
        ("lkdesk", "Bo mentioned you in r", "Sam?", 2),
    ]
    assert got[1]["replaces"] == got[0]["id"]  # one bubble per room, updated


async def test_without_a_notification_service_notify_says_so(tmp_path: Path) -> None:
    notifier = DesktopNotifier()
    try:
        assert not await notifier.notify(ChatNotification("a", "b", False))
    finally:
        await notifier.aclose()
