"""The campaign editor: organisers start, write, translate and publish campaigns."""
