"""A media player for development and the end-to-end test: it records what it plays.

It plays nothing aloud; its state shows the media id and the URL a speaker would fetch,
so ``tts.speak`` runs as written in ``scripts/develop`` and the test can download it.
"""
