"""WebRTC side of the capture: the peer registry, the frame pump that feeds the liveness engine,
and the one adapter module (`analysis`) that knows the engine's API.

Nothing here touches the database: the capture consumer calls the services with what a peer reports.
"""
