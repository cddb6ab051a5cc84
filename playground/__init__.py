"""`python -m bot playground`: the real bot against a local Bot API, in a browser chat."""
