"""viva: a mock-interview simulator and coach for LLM-engineering roles."""

__version__ = "0.1.0"
