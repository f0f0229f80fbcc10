#!/bin/sh
echo "main part"
