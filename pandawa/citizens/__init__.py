"""The citizen's record: the contact and their conversation with a sender number, shared by
the ticket layer and the bot above it; and the masking of their personal data."""
