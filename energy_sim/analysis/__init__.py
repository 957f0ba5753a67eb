"""Analysis: the analysts' views computed from Results: ``compare`` (runs side by side),
``plots`` (figures) and ``report`` (the HTML dashboard and its indicators).
"""
