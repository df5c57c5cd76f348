"""Packaging beyond what pyproject.toml can say: ``schemas/`` stays at the top of the
repository (operators and the inference engineer edit it there) and ships inside the
wheel as the package data ``daemon/schemas``, read with importlib.resources
(daemon.catalog.builtin_schemas_dir)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["daemon", "daemon.*", "console", "console.*"]), "daemon.schemas"],
    package_dir={"daemon.schemas": "schemas"},
    package_data={"console": ["*.tcss"], "daemon.schemas": ["*.yaml"]},
)
