"""Coaching: mastery and progress from attempts, spaced review."""
