"""Helpers of tests/conftest.py too long to sit in it: work made in the background
(``background``) and the wheel installed in a fresh virtualenv (``installed``)."""
