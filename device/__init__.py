"""hemassist on the device: care-data store, intent recognition, answers and the command line."""

__version__ = "0.1.0"
