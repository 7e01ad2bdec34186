"""Send-side congestion control for the publisher connection, with no aiortc in it.

The LiveKit server gives a publisher transport-wide congestion control feedback (TWCC,
draft-holmer-rmcat-transport-wide-cc-extensions-01) for video and RTCP receiver reports;
in the dual-PC mode lkdesk uses it sends no REMB to publishers (server ``pkg/rtc/config.go``
``getPublisherConfig``). So lkdesk estimates its uplink the way libwebrtc does, from
TWCC: :mod:`twcc` parses the feedback, :mod:`delay` turns arrival times into an over-use
signal, :mod:`rate_control` into a target bitrate (with loss and probes), :mod:`pacer`
spreads video packets over time and :mod:`allocation` shares the target between the
layers of each video track. The adaptation layer (``adapt/bandwidth.py``) plugs them into
aiortc.
"""
