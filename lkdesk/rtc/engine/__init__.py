"""The connections of one room: signalling, peer connections, data, ICE and reconnecting.

:class:`~lkdesk.rtc.engine.engine.RtcEngine` owns them and reports typed events
(:mod:`~lkdesk.rtc.engine.events`); the room models in :mod:`lkdesk.rtc` apply them. The
engine never imports those models; aiortc internals are touched only in :mod:`.adapt`.
"""
