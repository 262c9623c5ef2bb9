"""The app process's web server: the factory that assembles channels, actions and health."""
