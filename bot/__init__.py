"""The bot process: Rasa's configuration (config.yml, domain/, endpoints, credentials) and `serve`,
which runs Rasa's server with logs that keep nothing of the people who write."""
