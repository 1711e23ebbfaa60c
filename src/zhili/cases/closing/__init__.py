"""核查、结案、回访: verification on site, closing and the return visit."""
