#!/bin/sh
echo "app for @ARCH@"
