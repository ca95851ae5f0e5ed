"""The domain: pure attrs classes and rules. No I/O, no hooks, no clock.

A function here that needs the current time takes it as an argument.
"""
