"""Saphan's own records (SQLAlchemy 2): only what a conversation needs, nothing more."""
