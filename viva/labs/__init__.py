"""Coding labs: implement-it-yourself exercises graded by hidden tests in a sandbox."""
