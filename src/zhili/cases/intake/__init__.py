"""受理: receiving cases from every channel, one at a time or in batches from feeds."""
