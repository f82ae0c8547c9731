"""The Jinja templates of the generated package (data, shipped inside the zgen wheel)."""
