"""Evaluation campaigns (测评): criteria, site visits, evidence, questionnaires, scores,
reports, rectification and follow-up reviews (回头看)."""
