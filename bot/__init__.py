"""personabot: the conversation core and the command layer."""
