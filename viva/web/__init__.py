"""The web app (`viva serve`): pages and a JSON API over the same engine, grader and store as the CLI.

`from viva.web.app import create_app`; nothing is imported here, so `viva --help` never pays for FastAPI.
"""
