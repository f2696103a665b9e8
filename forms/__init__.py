"""Marshmallow schemas for the data clerks enter, shared by the API and the web pages."""
