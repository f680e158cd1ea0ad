"""A subpackage: its bytecode lives in example/sub/__pycache__."""
