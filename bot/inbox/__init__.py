"""The staff inbox: contact persons answer young people from a web page."""
