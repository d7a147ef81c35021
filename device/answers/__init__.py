"""Answers: handlers that look facts up in the care data and phrase them with their sources."""
