"""Canned responses: answers supervisors write once (per queue, or for every queue) and agents
insert into the reply box, with the ticket's values filled in."""
