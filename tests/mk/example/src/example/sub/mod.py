"""A module whose levels differ: -O drops the assert, -OO the docstrings."""


def double(x):
    """Return twice x."""
    assert isinstance(x, int), x
    return 2 * x
