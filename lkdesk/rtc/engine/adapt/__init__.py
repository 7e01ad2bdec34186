"""The only code that touches aiortc (and aioice) internals. Written for aiortc 1.16.x only.

Each module adapts one thing and says why; :func:`check_compatible` runs when the engine is
imported and fails loudly when aiortc changes under us (tests/rtc/engine/test_adapt.py pins
the same facts).
"""

from lkdesk.rtc.engine.adapt.encoder import clamp_encoder_bitrate
from lkdesk.rtc.engine.adapt.frame_crypto import (
    FrameDecryptor,
    FrameEncryptor,
    install_receive_crypto,
    install_send_crypto,
)
from lkdesk.rtc.engine.adapt.ice_gathering import (
    a_pair_succeeded,
    bound_turn_release,
    media_route,
    prepare_gathering,
)
from lkdesk.rtc.engine.adapt.ice_restart import DtlsSessionLost, IceRestarter, IceRestartError
from lkdesk.rtc.engine.adapt.liveness import Liveness
from lkdesk.rtc.engine.adapt.receive_codecs import (
    can_send,
    install_receive_codecs,
    receivable_mime_types,
)
from lkdesk.rtc.engine.adapt.receiver_recovery import VideoRecovery, install_video_recovery
from lkdesk.rtc.engine.adapt.receivers import (
    rebind_receiver,
    receiver_ssrcs,
    start_idle_receivers,
)
from lkdesk.rtc.engine.adapt.sctp import undelivered_messages
from lkdesk.rtc.engine.adapt.session_keeper import SessionKeeper
from lkdesk.rtc.engine.adapt.version import AiortcIncompatibleError, check_compatible

__all__ = [
    "AiortcIncompatibleError",
    "DtlsSessionLost",
    "FrameDecryptor",
    "FrameEncryptor",
    "IceRestartError",
    "IceRestarter",
    "Liveness",
    "SessionKeeper",
    "VideoRecovery",
    "a_pair_succeeded",
    "bound_turn_release",
    "can_send",
    "check_compatible",
    "clamp_encoder_bitrate",
    "install_receive_codecs",
    "install_receive_crypto",
    "install_send_crypto",
    "install_video_recovery",
    "media_route",
    "prepare_gathering",
    "rebind_receiver",
    "receivable_mime_types",
    "receiver_ssrcs",
    "start_idle_receivers",
    "undelivered_messages",
]
