"""Model backends behind one contract (``Backend``), and the gateway in front of them."""
