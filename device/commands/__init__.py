"""The command line's layer: one module per group of `hemassist` commands, and what they share
(common.py). Nothing below this package imports from it."""
