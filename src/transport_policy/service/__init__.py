"""The HTTP decision service (``transport-policy serve``): see :func:`.app.create_app`."""
