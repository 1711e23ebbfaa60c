"""Insight and early warning (研判预警): what the city's cases say.

- ``classify``: learns category and handling unit from labelled texts and suggests them at
  intake (versioned models; the dispatcher's choice feeds back as training data).
- ``duplicates``: near-duplicate reports about the same place within a time window.
- hotspots, anomalies, risk lists and the monthly issue (每月一题): see their modules.
"""
