"""The operator console (sign-in, live queue, conversation view), served by the app.

It arrives with the human-handoff issue; until then the package holds nothing.
"""
