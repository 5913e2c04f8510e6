"""goldenthread: run internal products like products, from Jira to Confluence."""

__version__ = "0.1.0"
