#!/bin/sh
# render.sh VERSION PAGE: the page with its footer's version filled in.
sed "s/@VERSION@/$1/" "$2"
