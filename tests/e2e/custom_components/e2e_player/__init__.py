"""A media player for the end-to-end test: it records what it is asked to play."""
