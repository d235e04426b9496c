"""The service directory: where a person can get help. The services table and the CSV
files the National Society keeps it in, with all-or-nothing imports, exports and the
entries to re-check (`store`); the search by category and place, nearest first, with
neighbouring regions when the person's has none (`search`); the command line behind
`make directory-*` and `make db` (`cli`); and the sample data of a fresh install
(`sample.csv`)."""
