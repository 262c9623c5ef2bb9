"""Rasa's custom actions, served by the app process (see `actions/endpoint.py`).

Actions are thin: they read the tracker, call the core, say things by locale key and return
events. They never know which channel is in use.
"""
