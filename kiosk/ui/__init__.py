"""The Textual officer and technician UI: one module per screen, styles beside them."""
