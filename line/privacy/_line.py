"""The rest of the line that this package reads, imported in one place.

When line/ becomes packages these two lines become `from line.core.text import
fold` and `from line.understanding import places`."""
from line.text import fold  # noqa: F401
from line import places  # noqa: F401
