"""Long-running work outside the update that started it: the broadcaster, notifications."""
