"""Qt views and dialogs: show rows, collect input, emit intents; they talk to app/ only."""
