"""Deliberately vulnerable sample for the external-control tests (bandit)."""
import subprocess

import yaml


def run(user_input):
    # B602: a shell with input from the user
    return subprocess.call("ls " + user_input, shell=True)


def load(text):
    # B506: yaml.load without a safe loader
    return yaml.load(text)


def check(value):
    assert value > 0
    return eval(value)
