"""Print the dependencies pyproject.toml declares, one per line, for pip install -r.

Usage: python scripts/requirements.py [EXTRA ...]. Reads only pyproject.toml, so the Makefile
installs exactly what the project declares and nothing installed by hand is relied on.
"""

import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
requirements = list(project["dependencies"])
for extra in sys.argv[1:]:
    requirements += project["optional-dependencies"][extra]
print("\n".join(requirements))
