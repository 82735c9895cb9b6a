"""Bring the compilations' files from their origins (issue 25): today only the fetching of one file."""
