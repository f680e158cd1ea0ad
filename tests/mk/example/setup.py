# For USE_PYTHON=distutils (python.mk runs this file's install command);
# the name and version come from pyproject.toml.
from setuptools import setup

setup(
    package_dir={"": "src"},
    packages=["example", "example.sub"],
    py_modules=["example_util"],
)
