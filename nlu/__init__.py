"""Saphan's training data per language (`nlu/<lang>/`) and the custom NLU components the bot loads."""
