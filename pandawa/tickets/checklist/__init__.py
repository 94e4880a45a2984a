"""A ticket's eligibility checklist (issue 17, item 10): what the citizen answered to each
check and which stored message holds each document, kept when the bot hands over."""
