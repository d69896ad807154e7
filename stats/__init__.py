"""Usage statistics of the programme: members, downloads and imagery requests over a period."""
