"""Test-only package: holds the CPU CuPy emulator (put this directory first on PYTHONPATH)."""
