#!/bin/sh
echo "hello from @VERSION@"
