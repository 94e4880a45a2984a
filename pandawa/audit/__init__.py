"""The access and security audit: who did what to which citizen's data, and when."""
