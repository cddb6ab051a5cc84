"""Compiles the gettext catalogs at build time, so a wheel, a plain `pip install .` and
an editable install all find `locales/<lang>/LC_MESSAGES/messages.mo`. Everything else
is in pyproject.toml."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_catalogs(build_py):
    def run(self) -> None:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from locales.compile import compile_catalogs

        compile_catalogs()  # into the source tree, from where package data is copied
        super().run()


setup(cmdclass={"build_py": build_py_with_catalogs})
