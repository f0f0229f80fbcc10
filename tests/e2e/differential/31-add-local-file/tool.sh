#!/bin/sh
echo "tool ran in $(pwd)"
