"""The assessor pages (``/assess/``): the guided interview in a browser, served by
``transport-policy serve``."""
