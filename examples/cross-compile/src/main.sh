# the application body
