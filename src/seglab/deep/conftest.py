"""pytest: the doctests of ``_torch`` need torch; without it they are not collected (the package stays importable)."""

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("torch") else ["_torch/*"]
