# The "application": prints its greeting, or answers a health check.
case "$1" in
  --check) echo ok ;;
  *) echo "$GREETING (user $(id -un), home $APP_HOME)" ;;
esac
