"""Scrapes a Prometheus endpoint and parses it with the official Python client's text parser (Debian's
python3-prometheus-client), printing one line per sample: NAME LABELS-AS-JSON VALUE. Exit 1 if the text does not
parse."""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode("utf-8")
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        print(sample.name, json.dumps(sample.labels, sort_keys=True), sample.value)
