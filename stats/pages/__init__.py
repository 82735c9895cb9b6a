"""Pages for people: the claims as charts and tables with citations to paste, on the API's read paths."""
