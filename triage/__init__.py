"""Triage: indicators of trafficking and forced labour found in a conversation, and how urgent it is."""
