"""Voice: text-to-speech providers, audio conversion, the voice service, speech-to-text."""
