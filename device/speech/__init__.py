"""Ears and voice: audio, endpointing, speech-to-text and text-to-speech adapters, the live loop."""
