"""`WS /ws`, in three parts: the socket's wire (``channel``: JSON frames in, typed frames
out, closes with a reason), a turn's frames (``encoder``), and one socket's life from
handshake to close (``session``). The route is ``vega.api.routes.ws``."""
