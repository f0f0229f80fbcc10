#!/bin/sh
echo "@GREETING@, ${1:-you} (greeter @VERSION@)"
