"""llmbench: compare local and hosted LLMs on facts, censorship and cost, and spot drift over time."""

__version__ = "0.1.0"
