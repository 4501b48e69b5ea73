"""Counted nouns, for every front end (pure): "1 rep", "2 reps", "2 holds and reps"."""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """1, "rep" -> "1 rep"; 2, "rep" -> "2 reps"; ``words`` for irregular plurals."""
    return f"{count} {word if count == 1 else (words or word + 's')}"
