"""HTTP and WebSocket edges: parse, call one service, render."""
