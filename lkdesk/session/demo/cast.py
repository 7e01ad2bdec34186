"""Who is in the demo room, how they look, and what they say."""

from __future__ import annotations

import random
from dataclasses import dataclass

from lkdesk.session.demo.synth import Look
from lkdesk.session.model import Quality


@dataclass(frozen=True, slots=True)
class Actor:
    """A simulated participant."""

    identity: str
    name: str
    look: Look
    mic_on: bool = True
    camera_on: bool = True
    quality: Quality = Quality.EXCELLENT


CAST: tuple[Actor, ...] = (
    Actor(
        "amara",
        "Amara Okafor",
        Look(((38, 70, 120), (90, 150, 200)), (141, 85, 60), (30, 22, 20), (230, 120, 60)),
    ),
    Actor(
        "ben",
        "Ben Carter",
        Look(((60, 90, 60), (150, 190, 120)), (236, 192, 160), (120, 80, 40), (52, 84, 160)),
    ),
    Actor(
        "chen",
        "Chen Wei",
        Look(((110, 60, 110), (220, 150, 170)), (230, 190, 150), (25, 25, 30), (60, 150, 140)),
        mic_on=False,
    ),
    Actor(
        "diego",
        "Diego Ramos",
        Look(((90, 70, 40), (210, 170, 110)), (200, 150, 110), (50, 35, 25), (180, 60, 70)),
        camera_on=False,
        quality=Quality.GOOD,
    ),
    Actor(
        "elif",
        "Elif Yilmaz",
        Look(((40, 100, 110), (130, 210, 200)), (225, 180, 145), (90, 50, 30), (250, 200, 80)),
    ),
    Actor(
        "farah",
        "Farah Haddad",
        Look(((70, 60, 130), (170, 150, 230)), (170, 120, 90), (20, 15, 15), (240, 240, 240)),
        quality=Quality.POOR,
    ),
)

YOU_LOOK = Look(((45, 45, 60), (120, 110, 150)), (215, 170, 140), (70, 45, 30), (90, 90, 100))

GREETINGS = (
    "Hi {you}, welcome to the lkdesk demo room! Everyone here is simulated.",
    "Try Ctrl+D to mute, Ctrl+E for the camera, and F1 for every shortcut.",
    "Connecting to a real server: https://docs.livekit.io/home/self-hosting/local/",
)

REPLIES = (
    "Sounds good to me.",
    "Agreed. Let's write that down.",
    "Nice, I can see that on my side too.",
    "+1",
    "Could you share your screen for that?",
    "I'll follow up after the call.",
)


def reply_to(text: str, you: str, rng: random.Random) -> str:
    """A canned answer that fits ``text`` well enough for a demo."""
    lowered = text.lower()
    if any(word in lowered.split() for word in ("hi", "hello", "hey")):
        return f"Hi {you}!"
    if "?" in text:
        return "Good question. In a real room someone would answer that one."
    if "http://" in lowered or "https://" in lowered:
        return "Thanks for the link, opening it now."
    return rng.choice(REPLIES)


AGENDA = (
    b"Demo agenda\n"
    b"===========\n\n"
    b"1. Welcome and introductions\n"
    b"2. Screen share: quarterly numbers\n"
    b"3. Questions\n\n"
    b"(This file was sent by a simulated participant of the lkdesk demo room.)\n"
)
