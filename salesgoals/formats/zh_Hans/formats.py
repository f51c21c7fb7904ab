# Amounts such as 1,234,567.89 are written with comma grouping in Chinese business documents.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
DECIMAL_SEPARATOR = "."
