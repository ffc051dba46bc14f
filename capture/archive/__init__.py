"""The session archive: Reporting API sessions and recordings, saved, hashed and catalogued (`bt-capture archive`)."""
