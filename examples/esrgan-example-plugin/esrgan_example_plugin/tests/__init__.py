"""The example package's own tests: they ship in its wheel and run against the installed framework
(``nox -s plugins``; ``pytest --pyargs esrgan_example_plugin.tests`` after ``pip install``)."""
