"""Classifier and router: category and handling unit from the text of a report.

``features`` builds the pipeline (character n-grams + words, a linear model with calibrated
probabilities), ``data`` reads labelled files, ``evaluation`` cross-validates it honestly,
``store`` keeps fitted models as files, ``service`` trains, promotes, suggests and records
the dispatcher's choices.
"""
