"""Django-free code: parsers, validators, calendars and statistics.

Nothing in this package may import Django; it is tested and benchmarked on its own.
"""
