"""A top-level module: its bytecode lives in site-packages/__pycache__."""


def greet(name):
    """Say hello."""
    return "hello " + name
