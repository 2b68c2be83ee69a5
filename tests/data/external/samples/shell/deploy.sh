#!/bin/sh
# Deliberately vulnerable sample for the external-control tests (shellcheck).
target=$1
rm -rf $target/*
eval "echo $target"
cd /tmp
echo `ls $target`
