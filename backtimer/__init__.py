"""backtimer: a terminal interval timer for guided back-pain stretching sessions."""

__version__ = "0.1.0"
