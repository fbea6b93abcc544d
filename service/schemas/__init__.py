"""Request (``*In``) and response (``*Out``) models, one module per resource."""
