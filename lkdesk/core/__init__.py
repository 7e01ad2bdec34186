"""What every layer of lkdesk shares, importing nothing heavy: the error tree, the event
emitter, decoded frame types, owned task sets and waits. No aiortc, no Qt, no numpy at load."""
