"""Saphan's core: settings, messages, language, texts, the bot client and the conversation router.

Nothing in this package imports a web framework, a channel SDK or Rasa; the edges
(`channels/`, `console/`, `actions/`, `webapp/`, `launcher/`) import the core, never the reverse.
"""
