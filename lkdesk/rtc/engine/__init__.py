"""lkdesk's WebRTC engine: signalling, the publisher and subscriber peer connections, resume."""
