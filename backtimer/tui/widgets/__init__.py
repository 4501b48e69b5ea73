"""Small widgets and text helpers for the full-screen app."""
