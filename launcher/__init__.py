"""The `./saphan` launcher: environments, training, processes and commands.

`launcher.cli` and `launcher.envsetup` use the standard library only, because they run before
the app environment exists; the command modules import what they need when they run.
"""
