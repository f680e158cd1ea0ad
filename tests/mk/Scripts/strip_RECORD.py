# Stand-in for Mk/Scripts/strip_RECORD.py of the ports tree, which
# python.mk's USE_PYTHON=pep517 do-install runs on the installed wheel's
# RECORD: prints the path of every entry (the first CSV field), one a line,
# relative to site-packages; the recipe then drops the .pyc lines and
# prefixes the rest.
import csv
import sys

with open(sys.argv[1], newline="", encoding="utf-8") as record:
    for row in csv.reader(record):
        if row:
            print(row[0])
