"""The shop's HTML pages: shopper, staff and sign-in, server-rendered with Jinja2."""
