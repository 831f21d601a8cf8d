"""Infrastructure every layer may use, importing nothing of the project: the product clock, Chinese working
days, the scan lock, logging, private files and the rules for showing crawled text safely."""
