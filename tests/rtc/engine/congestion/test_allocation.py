"""Layers like livekit-client's, and how a shrinking budget degrades a track."""

from __future__ import annotations

from lkdesk.rtc.engine.congestion.allocation import (
    Allocator,
    Degradation,
    camera_layers,
    screen_layer,
)


def test_camera_layers_follow_livekit_client_by_size() -> None:
    hd = camera_layers(1280, 720, simulcast=True)
    assert [(s.rid, s.quality, s.width, s.height) for s in hd] == [
        ("q", 0, 320, 180),
        ("h", 1, 640, 360),
        ("f", 2, 1280, 720),
    ]
    assert [s.max_bps for s in hd] == [160_000, 450_000, 1_700_000]
    vga = camera_layers(640, 480, simulcast=True)
    assert [(s.rid, s.width, s.height) for s in vga] == [("q", 240, 180), ("h", 640, 480)]
    assert [s.rid for s in camera_layers(320, 240, simulcast=True)] == [""]
    assert [s.rid for s in camera_layers(1280, 720, simulcast=False)] == [""]


def test_layers_get_their_minimum_from_the_bottom_then_top_up() -> None:
    allocator = Allocator(camera_layers(1280, 720, simulcast=True))
    everything = [True, True, True]
    full = allocator.allocate(3_000_000, everything)
    assert [p.bitrate for p in full] == [160_000, 450_000, 1_700_000]
    assert all(p.active and p.fps >= 20 for p in full)
    tight = allocator.allocate(400_000, everything, now=10.0)
    assert [p.active for p in tight] == [True, True, False]  # 720p needs 600k on its own
    assert tight[0].bitrate + tight[1].bitrate == 400_000
    assert tight[1].fps == 20  # bitrate goes down before the frame rate


def test_a_squeezed_track_drops_frame_rate_before_its_top_layer() -> None:
    allocator = Allocator(camera_layers(1280, 720, simulcast=True))
    wanted = [True, True, True]
    allocator.allocate(1_000_000, wanted, now=0.0)
    squeezed = allocator.allocate(30_000 + 120_000, wanted, now=1.0)  # h: 80 % of its minimum
    assert squeezed[1].active and 10 <= squeezed[1].fps < 20
    dropped = allocator.allocate(30_000 + 90_000, wanted, now=2.0)
    assert not dropped[1].active  # below 70 %: the 360p layer stops
    assert not allocator.allocate(30_000 + 150_000, wanted, now=3.0)[1].active  # hysteresis
    assert not allocator.allocate(30_000 + 170_000, wanted, now=4.0)[1].active  # not yet 2 s
    assert not allocator.allocate(30_000 + 170_000, wanted, now=5.0)[1].active
    assert allocator.allocate(30_000 + 170_000, wanted, now=6.1)[1].active
    allocator.allocate(30_000 + 90_000, wanted, now=7.0)
    spike = allocator.allocate(1_000_000, wanted, now=7.5)  # a probe's moment of room
    assert not spike[1].active


def test_unwanted_layers_are_not_sent_and_nothing_when_nobody_watches() -> None:
    allocator = Allocator(camera_layers(1280, 720, simulcast=True))
    plans = allocator.allocate(3_000_000, [True, False, False])
    assert [p.active for p in plans] == [True, False, False]
    assert not any(p.active for p in allocator.allocate(3_000_000, [False, False, False]))


def test_single_layer_camera_loses_frame_rate_then_resolution() -> None:
    allocator = Allocator(camera_layers(1280, 720, simulcast=False))
    assert allocator.allocate(1_000_000, [True])[0].scale == 1.0
    slower = allocator.allocate(450_000, [True])[0]
    assert slower.scale == 1.0 and slower.fps < 30
    smaller = allocator.allocate(200_000, [True])[0]
    assert smaller.scale == 0.5


def test_screen_share_keeps_its_resolution_and_slows_down() -> None:
    allocator = Allocator(
        [screen_layer(1920, 1080, 1_500_000, 15)], Degradation.MAINTAIN_RESOLUTION
    )
    plan = allocator.allocate(50_000, [True])[0]
    assert plan.scale == 1.0 and 1 <= plan.fps < 15
