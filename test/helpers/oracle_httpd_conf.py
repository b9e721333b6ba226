#!/usr/bin/env python3
"""Writes the httpd.conf the conformance oracle's own generator (record.py's httpd_conf) makes for a
run_against.py proxy.config.json: the scenario tree is the config file's folder, Apache's files go
to TMP.  Usage: oracle_httpd_conf.py PROXY_CONFIG_JSON TMP > httpd.conf"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'conformance', 'oracle'))
import record  # noqa: E402

config_file, tmp = sys.argv[1], sys.argv[2]
with open(config_file) as fh:
    doc = json.load(fh)
root = os.path.dirname(os.path.abspath(config_file))
port = doc['proxy']['port']
sys.stdout.write(record.httpd_conf(doc['plugins']['scriptalias'], tmp, root, port))
