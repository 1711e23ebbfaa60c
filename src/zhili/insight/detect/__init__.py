"""Detection on arrays of cases: hotspots (space-time clusters) and anomalies (surges, change
points). Pure NumPy/SciPy, no database: ``zhili.insight.scan`` loads the arrays and stores
what is found as warnings.
"""
